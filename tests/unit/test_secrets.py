"""The API key never shows: not in reprs, errors, snippets or any log record."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from bctrl_tools import BctrlClient, BctrlConfigError, BctrlError, ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from tests.unit.conftest import CANARY_KEY, INVOCATION_ID, Invoke

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"

ECHOING_RESPONSES = [
    # A proxy that echoes the request's headers back, in every shape we read.
    httpx.Response(
        401,
        json={
            "error": f"bad token Bearer {CANARY_KEY}",
            "code": CANARY_KEY,
            "requestId": CANARY_KEY,
        },
    ),
    httpx.Response(500, text=f"Authorization: Bearer {CANARY_KEY}"),
    httpx.Response(
        502, text=f"<html>Bearer {CANARY_KEY}</html>", headers={"content-type": "text/html"}
    ),
    httpx.Response(200, text=f'{{"authorization": "Bearer {CANARY_KEY}"'),
    httpx.Response(200, json={"echo": f"Bearer {CANARY_KEY}"}),
    httpx.Response(200, text=f"Bearer {CANARY_KEY}"),
]


@pytest.mark.parametrize("response", ECHOING_RESPONSES)
def test_an_echoed_key_is_redacted_from_errors(
    api: respx.MockRouter,
    invoke: Invoke,
    no_backoff: list[float],
    caplog: pytest.LogCaptureFixture,
    response: httpx.Response,
) -> None:
    caplog.set_level(logging.DEBUG)
    api.post(CANCEL).mock(return_value=response)
    with pytest.raises(BctrlError) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    error = caught.value
    shown = [str(error), repr(error), repr(vars(error)), caplog.text]
    assert all(CANARY_KEY not in text for text in shown)


def test_the_redaction_is_visible(api: respx.MockRouter, invoke: Invoke) -> None:
    api.post(CANCEL).mock(return_value=ECHOING_RESPONSES[0])
    with pytest.raises(BctrlError) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert "bad token Bearer [redacted]" in str(caught.value)


def test_transport_errors_and_debug_logs_do_not_show_the_key(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.post(CANCEL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(BctrlError) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert caplog.records, "the attempts should have been logged at DEBUG"
    for text in (str(caught.value), repr(caught.value), caplog.text):
        assert CANARY_KEY not in text


def test_credentials_in_the_base_url_are_not_echoed() -> None:
    with pytest.raises(BctrlConfigError) as caught:
        ClientSettings.resolve(api_key="k", base_url=f"https://user:{CANARY_KEY}@api.bctrl.ai")
    assert CANARY_KEY not in str(caught.value)


def test_an_echoed_key_in_the_request_id_header_or_details_is_redacted(
    api: respx.MockRouter, invoke: Invoke
) -> None:
    body = {"error": "Nope", "code": "x", "details": {"echo": [f"Bearer {CANARY_KEY}"]}}
    api.post(CANCEL).respond(404, json=body, headers={"x-request-id": f"req {CANARY_KEY}"})
    with pytest.raises(BctrlError) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert CANARY_KEY not in str(caught.value) + repr(vars(caught.value))
    assert caught.value.details == {"echo": ["Bearer [redacted]"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", ["bk_live_\nsecret", "bk live secret", "bk_lïve_secret"])
def test_a_key_no_header_can_carry_is_refused_without_echo(key: str) -> None:
    with pytest.raises(ValueError, match="BCTRL_API_KEY") as resolved:
        ClientSettings.resolve(api_key=key)
    with pytest.raises(ValueError, match="BCTRL_API_KEY") as built:
        ClientSettings(api_key=key)
    assert "secret" not in str(resolved.value) + str(built.value)


def test_a_key_inside_a_transport_error_is_redacted(
    api: respx.MockRouter, invoke: Invoke, no_backoff: list[float]
) -> None:
    api.post(CANCEL).mock(side_effect=httpx.ConnectError(f"Illegal header b'Bearer {CANARY_KEY}'"))
    with pytest.raises(BctrlError) as caught:
        invoke("cancel_invocation", INVOCATION_ID)
    assert CANARY_KEY not in str(caught.value)
    assert "[redacted]" in str(caught.value)


def test_operations_repr_says_where_and_what_but_not_the_key(settings: ClientSettings) -> None:
    with BctrlClient(settings=settings) as lent:
        shown = repr(Operations(client=lent, guardrails=Guardrails(dry_run=True), face="mcp"))
    assert shown == (
        f"Operations(face='mcp', base_url={settings.base_url!r}, guardrails={{'dry_run': True}}, "
        "cancels_sent='0 of unlimited')"
    )
    # Without settings nothing is resolved yet, and the repr must not resolve them.
    assert "from the environment" in repr(Operations(guardrails=Guardrails()))
    assert CANARY_KEY not in repr(Operations(settings=settings, guardrails=Guardrails()))


def test_no_dump_or_repr_of_the_guardrails_shows_the_stores_password() -> None:
    rails = Guardrails(max_cancels=5, state_url="redis://fleet:s3cret-pw@127.0.0.1:6379/0")
    shown = repr(Operations(settings=None, guardrails=rails))
    assert "s3cret-pw" not in shown
    assert "redis://fleet:***@127.0.0.1:6379/0" in shown
    assert "s3cret-pw" not in str(rails.model_dump())
    assert rails.state_url is not None
    assert "s3cret-pw" in rails.state_url  # still usable by the store
