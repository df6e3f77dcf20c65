"""Cross-cutting behaviour of API routes: request ids, latency, fault injection, auth.

Written as plain ASGI middleware because Starlette's BaseHTTPMiddleware costs a
task and a stream per request, which shows in cancel-throughput benchmarks.
"""

from __future__ import annotations

import asyncio
import hmac
import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bctrl_tools.sandbox.config import SandboxConfig
from bctrl_tools.sandbox.envelope import (
    REQUEST_ID_HEADER,
    ApiError,
    error_response,
    new_request_id,
    unauthorized,
    unavailable,
)

API_PREFIX = "/v1/"
_REQUEST_ID_HEADER_BYTES = REQUEST_ID_HEADER.lower().encode()


class SandboxMiddleware:
    def __init__(
        self, app: ASGIApp, config: SandboxConfig, rng: random.Random | None = None
    ) -> None:
        self._app = app
        self._config = config
        self._expected_auth = f"Bearer {config.api_key}".encode()
        # Fault injection only needs to be unpredictable, not secure.
        self._rng = rng or random.Random()  # noqa: S311

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        send = _tag_responses(send, request_id)
        if scope["path"].startswith(API_PREFIX):
            failure = await self._gate(scope)
            if failure is not None:
                await error_response(request_id, failure)(scope, receive, send)
                return
        await self._app(scope, receive, send)

    async def _gate(self, scope: Scope) -> ApiError | None:
        """Delay, then maybe fail, then check the key; None lets the request through."""
        if self._config.latency_ms > 0:
            await asyncio.sleep(self._config.latency_ms / 1000)
        if self._config.fail_rate > 0 and self._rng.random() < self._config.fail_rate:
            return unavailable()
        if not self._authorized(scope):
            return unauthorized()
        return None

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return hmac.compare_digest(value, self._expected_auth)
        return False


def _tag_responses(send: Send, request_id: str) -> Send:
    """Wrap `send` so every response start carries the X-Request-Id header."""
    header = (_REQUEST_ID_HEADER_BYTES, request_id.encode())

    async def tagged(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0] != header[0]]
            message["headers"] = [*headers, header]
        await send(message)

    return tagged
