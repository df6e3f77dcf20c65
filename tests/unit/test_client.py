"""The clients against a respx-mocked bctrl: requests sent, records read, errors mapped, retries."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
import respx

from bctrl_tools import (
    AuthenticationError,
    BadRequestError,
    BctrlAPIError,
    BctrlClient,
    BctrlConnectionError,
    BctrlTimeoutError,
    ClientSettings,
    ConflictError,
    InvalidInvocationIdError,
    InvalidResponseError,
    Invocation,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    __version__,
)
from tests.unit.conftest import CANARY_KEY, INVOCATION_ID, Invoke, load_record

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"
GET = f"/v1/invocations/{INVOCATION_ID}"
WAIT = f"/v1/invocations/{INVOCATION_ID}/wait"


def envelope(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {
        "error": message,
        "code": code,
        "requestId": "req_123",
        "details": {"id": INVOCATION_ID},
    }
    return httpx.Response(status, json=body, headers=headers)


# --- requests ---------------------------------------------------------------------


def test_cancel_posts_an_empty_object_with_key_and_user_agent(
    api: respx.MockRouter, invoke: Invoke
) -> None:
    route = api.post(CANCEL).respond(200, json=load_record("cancelling"))
    invocation = invoke("cancel_invocation", INVOCATION_ID)
    assert isinstance(invocation, Invocation)
    assert invocation.status == "cancelling"
    request = route.calls.last.request
    assert json.loads(request.content) == {}
    assert request.headers["authorization"] == f"Bearer {CANARY_KEY}"
    assert request.headers["user-agent"] == f"bctrl-tools/{__version__}"
    assert request.headers["content-type"] == "application/json"


def test_get_reads_the_record(api: respx.MockRouter, invoke: Invoke) -> None:
    route = api.get(GET).respond(200, json=load_record("failed"))
    invocation = invoke("get_invocation", INVOCATION_ID)
    assert invocation.to_json_dict() == load_record("failed")
    assert route.calls.last.request.method == "GET"


def test_wait_sends_timeout_ms_and_extends_the_read_timeout(
    api: respx.MockRouter, invoke: Invoke
) -> None:
    route = api.post(WAIT).respond(200, json=load_record("failed"))
    invoke("wait_for_invocation", INVOCATION_ID, timeout_ms=12_000)
    request = route.calls.last.request
    assert json.loads(request.content) == {"timeoutMs": 12_000}
    timeouts = request.extensions["timeout"]
    assert timeouts["read"] == pytest.approx(5.0 + 12.0)
    assert timeouts["connect"] == pytest.approx(5.0)


@pytest.mark.parametrize("timeout_ms", [-1, 1.5, "10", True])
def test_wait_refuses_a_bad_timeout_before_sending(
    api: respx.MockRouter, invoke: Invoke, timeout_ms: object
) -> None:
    route = api.post(WAIT)
    with pytest.raises(ValueError, match="timeout_ms"):
        invoke("wait_for_invocation", INVOCATION_ID, timeout_ms=timeout_ms)
    assert not route.called


def test_ids_are_percent_encoded_as_one_segment(api: respx.MockRouter, invoke: Invoke) -> None:
    route = api.get("/v1/invocations/inv%3Aé").respond(200, json=load_record("minimal"))
    invoke("get_invocation", "inv:é")
    assert route.calls.last.request.url.raw_path == b"/v1/invocations/inv%3A%C3%A9"


@pytest.mark.parametrize("bad", ["", "../admin", "a/b", "x?y", "a b"])
def test_bad_ids_send_nothing(api: respx.MockRouter, invoke: Invoke, bad: str) -> None:
    with pytest.raises(InvalidInvocationIdError):
        invoke("cancel_invocation", bad)
    assert not api.calls


def test_every_request_carries_the_configured_timeout(
    api: respx.MockRouter, invoke: Invoke
) -> None:
    route = api.get(GET).respond(200, json=load_record("minimal"))
    invoke("get_invocation", INVOCATION_ID)
    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 5.0,
        "write": 5.0,
        "pool": 5.0,
    }


# --- error mapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "error_type", "advice"),
    [
        (400, "request.invalid", BadRequestError, "malformed"),
        (401, "auth.unauthorized", AuthenticationError, "BCTRL_API_KEY"),
        (403, "auth.forbidden", PermissionDeniedError, "access to its space"),
        (404, "invocation.not_found", NotFoundError, "does not exist"),
        (409, "invocation.finished", ConflictError, "already finished"),
        (418, "teapot", BctrlAPIError, "HTTP 418"),
        (422, "request.invalid", BadRequestError, "malformed"),
    ],
)
def test_error_statuses_map_to_typed_errors(
    api: respx.MockRouter,
    invoke: Invoke,
    no_backoff: list[float],
    status: int,
    code: str,
    error_type: type[BctrlAPIError],
    advice: str,
) -> None:
    api.post(CANCEL).mock(return_value=envelope(status, code, "Something was off"))
    with pytest.raises(error_type) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    error: BctrlAPIError = caught.value
    assert type(error) is error_type
    assert (error.status_code, error.code, error.request_id) == (status, code, "req_123")
    assert error.details == {"id": INVOCATION_ID}
    message = str(error)
    for part in (
        f"HTTP {status}",
        code,
        "req_123",
        "Something was off",
        advice,
        INVOCATION_ID,
        "cancel",
    ):
        assert part in message
    assert len(api.calls) == 1, "4xx other than 408/429 must not be retried"
    assert no_backoff == []


def test_server_errors_are_retried_then_raised(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(return_value=envelope(503, "service.unavailable", "Try later"))
    with pytest.raises(ServerError, match="safe to try again") as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert caught.value.status_code == 503
    assert len(api.calls) == 3  # the first try and max_retries=2 retries
    assert len(no_backoff) == 2
    assert 0.25 <= no_backoff[0] <= 0.5
    assert 0.5 <= no_backoff[1] <= 1.0


@pytest.mark.parametrize(
    ("body", "message", "code", "request_id"),
    [
        (
            {"error": {"message": "Nested shape", "code": "nested"}},
            "Nested shape",
            "nested",
            "req_hdr",
        ),
        ({"message": "Message key", "request_id": "req_snake"}, "Message key", None, "req_snake"),
        ("plain text failure", "plain text failure", None, "req_hdr"),
        (["a", "list"], "Not Found", None, "req_hdr"),
    ],
)
def test_other_error_shapes_still_give_a_message(
    api: respx.MockRouter,
    invoke: Invoke,
    body: object,
    message: str,
    code: str | None,
    request_id: str,
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    api.get(GET).respond(404, content=content, headers={"x-request-id": "req_hdr"})
    with pytest.raises(NotFoundError) as caught:
        invoke("get_invocation", INVOCATION_ID)
    assert message in str(caught.value)
    assert (caught.value.code, caught.value.request_id) == (code, request_id)


def test_an_html_error_page_is_described_not_dumped(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>"
    api.post(CANCEL).respond(502, text=page, headers={"content-type": "text/html"})
    with pytest.raises(ServerError, match="HTML page") as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert "x" * 300 not in str(caught.value)


# --- retries ----------------------------------------------------------------------


def test_503_twice_then_success(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(
        side_effect=[
            envelope(503, "service.unavailable", "busy"),
            envelope(503, "service.unavailable", "busy"),
            httpx.Response(200, json=load_record("cancelling")),
        ]
    )
    assert invoke("cancel_invocation", INVOCATION_ID).status == "cancelling"
    assert len(api.calls) == 3
    assert len(no_backoff) == 2


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float], status: int
) -> None:
    api.get(GET).mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=load_record("minimal"))]
    )
    assert invoke("get_invocation", INVOCATION_ID).id == load_record("minimal")["id"]
    assert len(no_backoff) == 1


def test_retry_after_seconds_is_honoured(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(
        side_effect=[
            envelope(429, "rate_limited", "Slow down", **{"Retry-After": "3"}),
            httpx.Response(200, json=load_record("cancelling")),
        ]
    )
    invoke("cancel_invocation", INVOCATION_ID)
    assert no_backoff == [3.0]


def test_retry_after_http_date_is_honoured(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    api.post(CANCEL).mock(
        side_effect=[
            envelope(503, "service.unavailable", "busy", **{"Retry-After": when}),
            httpx.Response(200, json=load_record("cancelling")),
        ]
    )
    invoke("cancel_invocation", INVOCATION_ID)
    assert len(no_backoff) == 1
    assert 3.0 <= no_backoff[0] <= 5.0


def test_a_retry_after_beyond_the_cap_is_raised_at_once(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(
        return_value=envelope(429, "rate_limited", "Slow down", **{"Retry-After": "120"})
    )
    with pytest.raises(RateLimitError, match="wait 120 s") as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert caught.value.retry_after == 120.0
    assert no_backoff == []
    assert len(api.calls) == 1


def test_max_retries_zero_means_one_try(
    api: respx.MockRouter, no_backoff: list[float], settings: ClientSettings
) -> None:
    api.post(CANCEL).mock(return_value=envelope(503, "service.unavailable", "busy"))
    with (
        BctrlClient(settings=settings.model_copy(update={"max_retries": 0})) as client,
        pytest.raises(ServerError),
    ):
        client.cancel_invocation(INVOCATION_ID)
    assert len(api.calls) == 1


def test_connection_errors_are_retried_then_raised(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(side_effect=httpx.ConnectError("Connection refused"))
    with pytest.raises(BctrlConnectionError, match="Could not reach bctrl") as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert not isinstance(caught.value, BctrlTimeoutError)
    assert "BCTRL_BASE_URL" in str(caught.value)
    assert len(api.calls) == 3


def test_a_dropped_connection_then_success(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(
        side_effect=[
            httpx.RemoteProtocolError("Server disconnected"),
            httpx.Response(200, json=load_record("cancelling")),
        ]
    )
    assert invoke("cancel_invocation", INVOCATION_ID).status == "cancelling"


def test_timeouts_raise_a_timeout_error(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(BctrlTimeoutError, match="Timed out") as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert isinstance(caught.value, BctrlConnectionError)
    assert "BCTRL_TIMEOUT" in str(caught.value)


# --- responses that are not records -----------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "reason"),
    [
        ("", "application/json", "empty"),
        ("<!doctype html><title>Login</title>", "text/html", "html"),
        ('{"id": "3f2c9a4e", "status": "runn', "application/json", "truncated"),
        ("OK", "text/plain", "not_json"),
        ('{"status": "running", "runId": "r"}', "application/json", "schema"),
        ('{"id": "x", "status": 7}', "application/json", "schema"),
        ("[1, 2]", "application/json", "schema"),
    ],
)
def test_unreadable_success_bodies(
    api: respx.MockRouter, invoke: Invoke, content: str, content_type: str, reason: str
) -> None:
    api.post(CANCEL).respond(
        200, content=content, headers={"content-type": content_type, "x-request-id": "req_9"}
    )
    with pytest.raises(InvalidResponseError) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    error = caught.value
    assert error.reason == reason
    assert error.status_code == 200
    assert error.snippet == content[:200]
    assert "req_9" in str(error)
    assert "get_invocation" in str(error)
    assert len(api.calls) == 1


def test_an_unreadable_status_is_named(api: respx.MockRouter, invoke: Invoke) -> None:
    record = load_record("cancelling")
    record["status"] = {"state": "cancelling"}
    api.post(CANCEL).respond(200, json=record)
    with pytest.raises(InvalidResponseError, match=r"status: Input should be a valid string"):
        invoke("cancel_invocation", INVOCATION_ID)


def test_a_drifted_record_is_read_and_names_the_fields(
    api: respx.MockRouter, invoke: Invoke
) -> None:
    record = load_record("cancelling")
    del record["spaceId"]
    record["sequenceNo"] = "forty-two"
    api.post(CANCEL).respond(200, json=record)
    invocation = invoke("cancel_invocation", INVOCATION_ID)
    assert invocation.status == "cancelling"
    assert invocation.schema_warnings == ("spaceId", "sequenceNo")
    assert (invocation.space_id, invocation.sequence_no) == (None, None)
    assert invocation.to_json_dict() == record


# --- lifecycle --------------------------------------------------------------------


def test_an_injected_http_client_is_used_and_left_open(
    api: respx.MockRouter, settings: ClientSettings
) -> None:
    api.get(GET).respond(200, json=load_record("minimal"))
    http = httpx.Client()
    with BctrlClient(settings=settings, http_client=http) as client:
        client.get_invocation(INVOCATION_ID)
    assert not http.is_closed
    http.close()


def test_the_owned_http_client_is_closed(settings: ClientSettings) -> None:
    client = BctrlClient(settings=settings)
    client.close()
    assert client._http.is_closed


def test_redirects_are_not_followed(api: respx.MockRouter, invoke: Invoke) -> None:
    api.post(CANCEL).respond(307, headers={"location": "https://evil.example/steal"})
    with pytest.raises(BctrlAPIError, match="HTTP 307"):
        invoke("cancel_invocation", INVOCATION_ID)
    assert len(api.calls) == 1


def test_a_wait_that_times_out_is_not_repeated(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    route = api.post(WAIT).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(BctrlTimeoutError, match="after 15 s"):
        invoke("wait_for_invocation", INVOCATION_ID, timeout_ms=10_000)
    assert route.call_count == 1


def test_a_long_retry_after_on_503_is_stated(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(return_value=envelope(503, "busy", "Busy", **{"Retry-After": "90"}))
    with pytest.raises(ServerError, match="wait 90 s"):
        invoke("cancel_invocation", INVOCATION_ID)
    assert no_backoff == []
