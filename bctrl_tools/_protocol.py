"""What the sync and async clients share: requests, parsing, error mapping, retry policy.

Nothing here does I/O. :meth:`Protocol.exchange` is the whole conversation for one call,
as a generator: it yields a request to send or a number of seconds to sleep, and is sent
back the response or the transport error. The clients only do what it yields.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bctrl_tools._transport import too_large
from bctrl_tools._version import __version__
from bctrl_tools.errors import (
    AuthenticationError,
    BadRequestError,
    BctrlAPIError,
    BctrlConnectionError,
    BctrlError,
    BctrlTimeoutError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from bctrl_tools.ids import check_run_id, id_segment
from bctrl_tools.models import BctrlModel, Invocation
from bctrl_tools.run_listing import PAGE_SIZE, InvocationPage, page_params
from bctrl_tools.settings import ClientSettings
from bctrl_tools.text import MESSAGE_LIMIT, NAME_LIMIT, one_line

logger = logging.getLogger("bctrl_tools")

USER_AGENT = f"bctrl-tools/{__version__}"
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_SNIPPET_LENGTH = 200
_REDACTED = "[redacted]"


Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Call(Generic[Model]):
    """One API operation: what to send, what answers it, and how to name it in messages.

    ``action`` and ``noun`` make every message say what was asked for ("Could not
    cancel invocation '…'", "No such run is visible …"); ``target`` is the id acted on,
    if any.
    """

    method: str
    path: str
    action: str
    noun: str
    response_model: type[Model]
    target: str | None = None
    body: dict[str, Any] | None = None
    extra_read_seconds: float = 0.0
    # Query parameters, as pairs so that a key may repeat (status=a&status=b).
    params: tuple[tuple[str, str | int], ...] = ()

    def describe(self) -> str:
        """What the call tried to do, e.g. ``cancel invocation '3f2c…'``."""
        if self.target is None:
            return f"{self.action} {self.noun}s"
        return f"{self.action} {self.noun} {self.target!r}"


def cancel_call(invocation_id: str) -> Call[Invocation]:
    # The reference sends an empty JSON object as the cancel body.
    path = f"/v1/invocations/{id_segment(invocation_id)}/cancel"
    return Call("POST", path, "cancel", "invocation", Invocation, invocation_id, {})


def get_call(invocation_id: str) -> Call[Invocation]:
    path = f"/v1/invocations/{id_segment(invocation_id)}"
    return Call("GET", path, "read", "invocation", Invocation, invocation_id)


def wait_call(invocation_id: str, timeout_ms: int) -> Call[Invocation]:
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 0:
        raise ValueError(
            f"Invalid timeout_ms={timeout_ms!r}: expected a whole number of milliseconds >= 0."
        )
    path = f"/v1/invocations/{id_segment(invocation_id)}/wait"
    # The server holds the request open for up to timeout_ms, so the read timeout grows too.
    return Call(
        "POST",
        path,
        "wait for",
        "invocation",
        Invocation,
        invocation_id,
        {"timeoutMs": timeout_ms},
        timeout_ms / 1000,
    )


def list_run_call(
    run_id: str,
    *,
    status: Iterable[str] | None = None,
    include: Iterable[str] | None = None,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
) -> Call[InvocationPage]:
    """One page of ``GET /v1/runs/{id}/commands`` (see :mod:`bctrl_tools.run_listing`)."""
    path = f"/v1/runs/{id_segment(run_id, check_run_id)}/commands"
    query = page_params(status=status, include=include, limit=limit, cursor=cursor)
    return Call("GET", path, "list", "run", InvocationPage, run_id, params=tuple(query))


# Yields a request to send or seconds to sleep; is sent the answer (None after a sleep).
Exchange = Generator[httpx.Request | float, httpx.Response | httpx.RequestError | None, Model]


class _BearerAuth(httpx.Auth):
    """Adds the key to each request; its repr never shows it."""

    def __init__(self, api_key: SecretStr) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(api_key=SecretStr('**********'))"


class Bounds(TypedDict):
    """How one request is sent (see :mod:`bctrl_tools._transport`)."""

    auth: httpx.Auth
    seconds: float
    max_bytes: int


class Protocol:
    """The bctrl v1 invocations protocol for one set of settings."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.auth = _BearerAuth(settings.api_key)
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        # Built once: every call but a wait uses the same timeouts.
        self._timeout = httpx.Timeout(settings.timeout)

    def exchange(
        self, client: httpx.Client | httpx.AsyncClient, call: Call[Model]
    ) -> Exchange[Model]:
        """Send, read, retry: returns the parsed answer, or raises what the last answer meant."""
        attempt = 0
        while True:
            answer = yield self.build(client, call)
            assert answer is not None, "a request is answered with a response or an error"
            if isinstance(answer, httpx.Response):
                self.log_attempt(call, attempt, str(answer.status_code))
                if too_large(answer) is not None:
                    # Not retried: the next answer would be as large, and it reached the server.
                    raise self._too_large(call, answer)
                if answer.is_success:
                    return self.parse(call, answer)
                failure: BctrlError = self.api_error(call, answer)
                delay = self.retry_delay(attempt, answer)
            else:
                failure = self.transport_error(call, answer)
                # A wait that timed out has waited as long as asked: do not wait again.
                timed_out_wait = call.extra_read_seconds and isinstance(failure, BctrlTimeoutError)
                delay = None if timed_out_wait else self.retry_delay(attempt, None)
            if delay is None:
                raise failure
            self.log_attempt(call, attempt, f"retrying in {delay:.2f} s")
            yield delay
            attempt += 1

    def bounds(self, call: Call[Any]) -> Bounds:
        """One deadline for the whole request (the timeout, plus a wait's own length), and
        the most bytes of body to read."""
        return Bounds(
            auth=self.auth,
            seconds=self.settings.timeout + call.extra_read_seconds,
            max_bytes=self.settings.max_response_bytes,
        )

    def build(self, client: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        timeout = self._timeout
        if call.extra_read_seconds:
            seconds = self.settings.timeout
            timeout = httpx.Timeout(seconds, read=seconds + call.extra_read_seconds)
        return client.build_request(
            call.method,
            self.settings.base_url + call.path,
            json=call.body,
            params=list(call.params) or None,
            headers=self.headers,
            timeout=timeout,
        )

    def parse(self, call: Call[Model], response: httpx.Response) -> Model:
        """The call's model from a 2xx response, or the error a non-2xx response stands for."""
        if not response.is_success:
            raise self.api_error(call, response)
        try:
            # The common case in one pass in pydantic-core, from the bytes: no str decode,
            # no charset parsing. A body it rejects is read again below to say what is wrong.
            return _stamped(call.response_model.model_validate_json(response.content), response)
        except ValidationError:
            pass
        body = self._json_body(call, response)
        try:
            return _stamped(_validate(call.response_model, body), response)
        except ValidationError as exc:
            problems = _schema_problems(call.noun, exc)
            raise self._invalid(call, response, "schema", problems) from None

    def api_error(self, call: Call[Any], response: httpx.Response) -> BctrlAPIError:
        envelope = _Envelope.read(response, self._redact)
        cls, advice = _error_kind(response.status_code, call)
        fields: dict[str, Any] = {
            "status_code": response.status_code,
            "code": envelope.code,
            "request_id": envelope.request_id,
            "details": envelope.details,
        }
        retry_after = retry_after_seconds(response)
        if cls is RateLimitError:
            fields["retry_after"] = retry_after
        if retry_after is not None and response.status_code in RETRYABLE_STATUSES:
            advice = f"bctrl asked to wait {retry_after:g} s: wait that long, then try again."
        message = _compose(call, response.status_code, envelope, advice)
        return cls(message, **fields)

    def transport_error(self, call: Call[Any], exc: httpx.RequestError) -> BctrlConnectionError:
        where = self.settings.base_url
        if isinstance(exc, httpx.TimeoutException):
            seconds = self.settings.timeout + call.extra_read_seconds
            return BctrlTimeoutError(
                f"Timed out trying to {call.describe()} at {where} after {seconds:g} s "
                f"({type(exc).__name__}). bctrl may be slow or unreachable; it is safe to try "
                "again, or raise BCTRL_TIMEOUT (or the timeout argument)."
            )
        return BctrlConnectionError(
            f"Could not reach bctrl at {where} to {call.describe()} ({type(exc).__name__}: "
            f"{self._redact(str(exc)) or 'no detail'}). Check BCTRL_BASE_URL and the network; "
            "it is safe to try again."
        )

    def retry_delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None to give up.

        ``response`` is None after a transport error. Every bctrl call here is safe to
        repeat, so connection failures and 408/429/5xx gateway statuses are retried.
        """
        if attempt >= self.settings.max_retries:
            return None
        if response is not None:
            if response.status_code not in RETRYABLE_STATUSES:
                return None
            server_wait = retry_after_seconds(response)
            if server_wait is not None:
                return server_wait if server_wait <= self.settings.max_retry_after else None
        ceiling: float = min(self.settings.backoff_max, self.settings.backoff_base * 2**attempt)
        # Jitter spreads out the retries of many clients failing at once.
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (not cryptographic)

    def log_attempt(self, call: Call[Any], attempt: int, outcome: str) -> None:
        # Method, path and status only: headers (and so the key) are never logged.
        logger.debug("%s %s attempt %d: %s", call.method, call.path, attempt + 1, outcome)

    def _json_body(self, call: Call[Any], response: httpx.Response) -> Any:
        text = response.text
        if not text.strip():
            raise self._invalid(call, response, "empty", "the body was empty")
        if _looks_like_html(response, text):
            raise self._invalid(call, response, "html", "it sent an HTML page instead of JSON")
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            if text.lstrip()[:1] in {"{", "["}:
                problem = "the JSON body was cut short or malformed"
                raise self._invalid(call, response, "truncated", problem) from None
            raise self._invalid(call, response, "not_json", "the body was not JSON") from None
        except RecursionError:  # no record is nested that deep: a broken or hostile server
            problem = "the JSON body was nested too deeply to read"
            raise self._invalid(call, response, "too_deep", problem) from None

    def _too_large(self, call: Call[Any], response: httpx.Response) -> InvalidResponseError:
        limit = too_large(response) or 0
        problem = (
            f"its body was larger than the {limit:,} bytes this client reads "
            "(BCTRL_MAX_RESPONSE_BYTES)"
        )
        return self._invalid(call, response, "too_large", problem)

    def _invalid(
        self, call: Call[Any], response: httpx.Response, reason: str, problem: str
    ) -> InvalidResponseError:
        snippet = _snippet(self._redact(response.text))
        request_id = _text(response.headers.get("x-request-id"), self._redact)
        where = f", request id {request_id}" if request_id else ""
        return InvalidResponseError(
            f"bctrl answered HTTP {response.status_code}{where}, but {problem}, so the "
            f"{call.noun} record could not be read. Start of the body: {snippet!r}. The "
            f"request did reach the server: {_before_retrying(call)}, and check BCTRL_BASE_URL "
            "points at the bctrl API rather than a proxy or web page.",
            status_code=response.status_code,
            reason=reason,
            snippet=snippet,
        )

    def _redact(self, text: str) -> str:
        # A misbehaving proxy may echo request headers back; never pass the key on.
        key = self.settings.api_key.get_secret_value()
        return text.replace(key, _REDACTED) if key else text


@dataclass(frozen=True)
class _Envelope:
    """The v1 error envelope, read leniently: other shapes still give a message."""

    message: str
    code: str | None
    request_id: str | None
    details: dict[str, Any] | None

    @classmethod
    def read(cls, response: httpx.Response, redact: Callable[[str], str]) -> _Envelope:
        header_id = _text(response.headers.get("x-request-id"), redact)
        try:
            body = json.loads(response.text)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = {**body, **body["error"]}  # {"error": {"message": ..., "code": ...}}
        if not isinstance(body, dict):
            # Redacted before it is cut: a key straddling the cut would not be recognised.
            text = redact(response.text).strip()
            kind = "an HTML page" if _looks_like_html(response, text) else repr(_snippet(text))
            message = redact(f"{response.reason_phrase or 'error'}; the body was {kind}")
            return cls(message, None, header_id, None)
        said = body.get("error") if isinstance(body.get("error"), str) else body.get("message")
        # The server's words go into a message a model reads: one clean, short line each,
        # cut after redacting (a key across the cut would no longer match).
        return cls(
            one_line(redact(str(said or response.reason_phrase or "no message")), MESSAGE_LIMIT),
            _text(body.get("code"), redact),
            _text(body.get("requestId") or body.get("request_id"), redact) or header_id,
            _details(body.get("details"), redact),
        )


def _details(details: Any, redact: Callable[[str], str]) -> dict[str, Any] | None:
    if not isinstance(details, dict):
        return None
    try:
        redacted: dict[str, Any] = _redacted(details, redact)
    except RecursionError:  # nested deeper than any real details: dropped, not fatal
        return None
    return redacted


def _before_retrying(call: Call[Any]) -> str:
    # Only an invocation has a get tool; a list changed nothing, so it may simply be repeated.
    if call.noun == "invocation":
        return "check the invocation with get_invocation before retrying"
    return f"it is safe to {call.action} again"


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """``value`` with the key redacted from every string in it, however deep."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _redacted(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(item, redact) for item in value]
    return value


def _text(value: Any, redact: Callable[[str], str]) -> str | None:
    return one_line(redact(str(value)), NAME_LIMIT) if value not in (None, "") else None


def _error_kind(status: int, call: Call[Any]) -> tuple[type[BctrlAPIError], str]:
    noun = call.noun
    if status == 401:
        return AuthenticationError, (
            # No "name=" in it: hosts' secret redactors rewrite whatever follows one.
            "Check that BCTRL_API_KEY (or the api_key argument) holds a valid, unrevoked "
            "bctrl API key."
        )
    if status == 403:
        return PermissionDeniedError, (
            f"This API key may not act on this {noun}; use a key with access to its space."
        )
    if status == 404:
        return NotFoundError, (
            f"No such {noun} is visible to this API key: it does not exist, or belongs to "
            "another account or environment. Check the id and BCTRL_BASE_URL."
        )
    if status == 409:
        return ConflictError, f"The {noun} is already finished, so there is nothing to change."
    if status == 429:
        return RateLimitError, "Too many requests; wait a little, then try again."
    if status in {400, 422}:
        return BadRequestError, "The request was refused as malformed; please report it as a bug."
    if status >= 500:
        return ServerError, "The failure is on bctrl's side; it is safe to try again shortly."
    return BctrlAPIError, "See the message above."


def _compose(call: Call[Any], status: int, envelope: _Envelope, advice: str) -> str:
    labels = [f"HTTP {status}"]
    if envelope.code:
        labels.append(f"code {envelope.code}")
    if envelope.request_id:
        labels.append(f"request id {envelope.request_id}")
    said = envelope.message.rstrip(".")
    return f"Could not {call.describe()} ({', '.join(labels)}): {said}. {advice}"


def _stamped(model: Model, response: httpx.Response) -> Model:
    """``model``, told the server's clock when it was sent (see ``BctrlModel.served_at``)."""
    if isinstance(model, BctrlModel):
        model.stamp(server_time(response))
    return model


def server_time(response: httpx.Response) -> float | None:
    """The response's ``Date`` header in seconds since the epoch, if it has a readable one."""
    raw = response.headers.get("date")
    try:
        return email.utils.parsedate_to_datetime(raw).timestamp() if raw else None
    except (TypeError, ValueError):
        return None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The server's Retry-After in seconds (a number or an HTTP date), if it sent one."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer


def _looks_like_html(response: httpx.Response, text: str) -> bool:
    content_type = response.headers.get("content-type", "")
    return "html" in content_type or text.lstrip()[:1] == "<"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET_LENGTH else flat[: _SNIPPET_LENGTH - 3] + "..."


def _validate(model: type[Model], body: Any) -> Model:
    # A record that drifted from the documented schema still tells how a cancel went:
    # only an unreadable id or status fails it (see Invocation.read_leniently).
    if issubclass(model, Invocation):
        return model.read_leniently(body)
    return model.model_validate(body)


def _schema_problems(noun: str, exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)[:3]
    ]
    more = exc.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"the body did not match the {noun} schema ({'; '.join(problems)}{suffix})"
