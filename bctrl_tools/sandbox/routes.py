"""HTTP handlers: decode the request, call the service, encode the answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bctrl_tools.sandbox.envelope import REQUEST_ID_HEADER
from bctrl_tools.sandbox.invocation import JsonObject
from bctrl_tools.sandbox.listing import parse_list_query
from bctrl_tools.sandbox.service import InvocationService
from bctrl_tools.sandbox.validation import parse_create, parse_json, parse_wait_timeout


class InvocationRoutes:
    def __init__(self, service: InvocationService) -> None:
        self._service = service

    def routes(self) -> list[Route]:
        return [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/v1/runtimes/{runtime_id}/invocations", self.create, methods=["POST"]),
            Route("/v1/invocations/{invocation_id}", self.get, methods=["GET"]),
            Route("/v1/invocations/{invocation_id}/cancel", self.cancel, methods=["POST"]),
            Route("/v1/invocations/{invocation_id}/wait", self.wait, methods=["POST"]),
            Route("/v1/runs/{run_id}/commands", self.list_run_commands, methods=["GET"]),
        ]

    async def healthz(self, request: Request) -> Response:
        return _json(request, {"status": "ok"})

    async def create(self, request: Request) -> Response:
        body = parse_json(await request.body())
        create_request = parse_create(request.path_params["runtime_id"], body)
        record, replayed = self._service.create(create_request)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return _json(request, record, status=202, headers=headers)

    async def get(self, request: Request) -> Response:
        return _json(request, self._service.get(request.path_params["invocation_id"]))

    async def cancel(self, request: Request) -> Response:
        # The body is `{}` or empty; it is still decoded so malformed JSON gets a 400.
        parse_json(await request.body())
        return _json(request, self._service.cancel(request.path_params["invocation_id"]))

    async def wait(self, request: Request) -> Response:
        timeout_ms = parse_wait_timeout(parse_json(await request.body()))
        record = await self._service.wait(request.path_params["invocation_id"], timeout_ms)
        return _json(request, record)

    async def list_run_commands(self, request: Request) -> Response:
        query = parse_list_query(request.query_params.multi_items())
        return _json(request, self._service.list_run(request.path_params["run_id"], query))


def _json(
    request: Request,
    body: JsonObject,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    all_headers = {**(headers or {}), REQUEST_ID_HEADER: request.state.request_id}
    return JSONResponse(body, status_code=status, headers=all_headers)
