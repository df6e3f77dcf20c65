"""Assemble the Starlette application from a service and a config."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from bctrl_tools.sandbox.config import SandboxConfig
from bctrl_tools.sandbox.envelope import ApiError, error_response, new_request_id
from bctrl_tools.sandbox.middleware import SandboxMiddleware
from bctrl_tools.sandbox.routes import InvocationRoutes
from bctrl_tools.sandbox.service import InvocationService

_HTTP_CODES = {404: "route.not_found", 405: "request.method_not_allowed"}


def create_app(service: InvocationService, config: SandboxConfig) -> Starlette:
    return Starlette(
        routes=InvocationRoutes(service).routes(),
        middleware=[Middleware(SandboxMiddleware, config=config)],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )


def _request_id(request: Request) -> str:
    request_id = getattr(request.state, "request_id", None)
    return request_id if isinstance(request_id, str) else new_request_id()


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(_request_id(request), exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, reshaped into the v1 envelope."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "request.invalid")
    headers = dict(exc.headers or {})
    error = ApiError(exc.status_code, code, str(exc.detail), headers=headers)
    return error_response(_request_id(request), error)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    error = ApiError(500, "internal.error", f"Internal sandbox error: {type(exc).__name__}")
    return error_response(_request_id(request), error)
