"""The one exception hierarchy of bctrl-tools.

Every message is written for whoever reads it next, a person or a model: what
happened, the API's code and request id when there are some, and what to do.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "BctrlAPIError",
    "BctrlConfigError",
    "BctrlConnectionError",
    "BctrlError",
    "BctrlTimeoutError",
    "ConflictError",
    "InvalidInvocationIdError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
]


class BctrlError(Exception):
    """Base of every error bctrl-tools raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class BctrlConfigError(BctrlError, ValueError):
    """The client was configured wrongly (missing key, bad base URL, bad number)."""


class InvalidInvocationIdError(BctrlError, ValueError):
    """An invocation id was refused before any request was sent."""


class BctrlConnectionError(BctrlError):
    """bctrl could not be reached (DNS, refused connection, TLS, dropped connection)."""


class BctrlTimeoutError(BctrlConnectionError):
    """A request took longer than the configured timeout."""


class InvalidResponseError(BctrlError):
    """bctrl answered, but not with a record this client can read.

    ``reason`` says which: ``"empty"``, ``"html"``, ``"not_json"``, ``"truncated"``
    or ``"schema"``; ``snippet`` holds the start of the body.
    """

    def __init__(self, message: str, *, status_code: int, reason: str, snippet: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason
        self.snippet = snippet


class BctrlAPIError(BctrlError):
    """bctrl answered with an error status (parsed from the v1 error envelope)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.details = details or {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )


class BadRequestError(BctrlAPIError):
    """400 or 422: the API refused the request as malformed."""


class AuthenticationError(BctrlAPIError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(BctrlAPIError):
    """403: the key is valid but may not do this."""


class NotFoundError(BctrlAPIError):
    """404: no such invocation, or not visible to this key."""


class ConflictError(BctrlAPIError):
    """409: the invocation's state does not allow this (for cancel: already finished)."""


class RateLimitError(BctrlAPIError):
    """429: too many requests; ``retry_after`` holds the server's wait in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after


class ServerError(BctrlAPIError):
    """5xx: bctrl failed on its side; safe to retry later."""
