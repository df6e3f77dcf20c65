"""The v1 error envelope and the request ids that tie responses to it.

Envelope: `{"error": message, "code": dotted.code, "requestId": "req_<hex>", "details": {}}`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

REQUEST_ID_HEADER = "X-Request-Id"


class ApiError(Exception):
    """An error that the API answers with an envelope instead of a record."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


def new_request_id() -> str:
    return "req_" + os.urandom(12).hex()


def error_response(request_id: str, error: ApiError) -> JSONResponse:
    body = {
        "error": error.message,
        "code": error.code,
        "requestId": request_id,
        "details": error.details,
    }
    headers = {**error.headers, REQUEST_ID_HEADER: request_id}
    return JSONResponse(body, status_code=error.status, headers=headers)


def not_found(invocation_id: str) -> ApiError:
    return ApiError(404, "invocation.not_found", "Invocation not found", {"id": invocation_id})


def run_not_found(run_id: str) -> ApiError:
    return ApiError(404, "run.not_found", "Run not found", {"id": run_id})


def invalid(message: str, field: str | None = None) -> ApiError:
    details = {} if field is None else {"field": field}
    return ApiError(400, "request.invalid", message, details)


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "auth.unauthorized",
        "Missing or invalid API key",
        headers={"WWW-Authenticate": 'Bearer realm="bctrl"'},
    )


def unavailable() -> ApiError:
    # Retry-After 0 keeps client retry tests fast; the real service sends more.
    return ApiError(
        503,
        "service.unavailable",
        "Service temporarily unavailable (sandbox fault injection)",
        headers={"Retry-After": "0"},
    )
