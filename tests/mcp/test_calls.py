"""tools/call in-process: results, each error mapping, bad arguments; bctrl mocked by respx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from mcp.server.mcpserver import MCPServer

from bctrl_tools.operations import Operations
from bctrl_tools.outcomes import CancelOutcome, InvocationReport
from bctrl_tools.spec import TOOL_SPECS
from tests.mcp.conftest import (
    INVOCATION_ID,
    OTHER_ID,
    ServerFactory,
    call,
    error_body,
    record,
    text,
)

# Every tool that takes one invocation id, from the specs.
ONE_ID_SPECS = [spec for spec in TOOL_SPECS if "invocation_id" in spec.input_model.model_fields]
CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"
GET = f"/v1/invocations/{INVOCATION_ID}"


async def test_cancel_answers_the_outcome(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    result = await call(server, "cancel_invocation", {"invocation_id": INVOCATION_ID})
    assert not result.is_error
    outcome = CancelOutcome.model_validate(result.structured_content)
    assert outcome.outcome == "cancel_requested"
    assert outcome.status == "cancelling"
    assert text(result) == outcome.message
    assert INVOCATION_ID in text(result)


async def test_cancel_waits_when_asked(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    api.post(f"{GET}/wait").respond(200, json=record(status="cancelled"))
    result = await call(
        server, "cancel_invocation", {"invocation_id": INVOCATION_ID, "wait_seconds": 5}
    )
    assert CancelOutcome.model_validate(result.structured_content).outcome == "cancelled"


async def test_get_answers_the_report(server: MCPServer[Operations], api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record())
    result = await call(server, "get_invocation", {"invocation_id": INVOCATION_ID})
    assert not result.is_error
    report = InvocationReport.model_validate(result.structured_content)
    assert (report.status, report.step, report.total_steps) == ("running", 2, 3)
    assert text(result) == report.message


async def test_already_finished_is_not_an_error(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(409, json=error_body("already finished", "invocation_terminal"))
    api.get(GET).respond(200, json=record(status="succeeded"))
    result = await call(server, "cancel_invocation", {"invocation_id": INVOCATION_ID})
    assert not result.is_error
    assert result.structured_content["outcome"] == "already_finished"


async def test_batch_answers_one_outcome_per_id(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    api.post(f"/v1/invocations/{OTHER_ID}/cancel").respond(
        404, json=error_body("nope", "not_found")
    )
    result = await call(server, "cancel_invocations", {"invocation_ids": [INVOCATION_ID, OTHER_ID]})
    assert not result.is_error  # one item stopped, so the call as a whole did something
    content = result.structured_content
    assert content is not None
    # Grouped by outcome, each id once, and no record: a model reads ids, not megabytes.
    assert content["stopped"] == [
        {"outcome": "cancel_requested", "reason": None, "invocation_ids": [INVOCATION_ID]}
    ]
    assert content["not_stopped"] == [
        {"outcome": "not_found", "reason": "not_found", "invocation_ids": [OTHER_ID]}
    ]
    assert "results" not in content
    assert f"Not stopped: not_found (not_found): {OTHER_ID}." in text(result)


async def test_batch_ids_sent_as_json_text_are_decoded(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    result = await call(server, "cancel_invocations", {"invocation_ids": f'["{INVOCATION_ID}"]'})
    assert result.structured_content["counts"] == {"cancel_requested": 1}


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


_NOT_FOUND = (404, error_body("No invocation", "not_found"))
_UNAUTHORIZED = (401, error_body("bad key", "unauthorized"))

# (tool, what bctrl does, a phrase the curated message must hold, the error's type)
FAILURES = [
    ("cancel_invocation", _NOT_FOUND, "No such invocation", "NotFoundError"),
    ("get_invocation", _NOT_FOUND, "No such invocation", "NotFoundError"),
    ("cancel_invocation", _UNAUTHORIZED, "BCTRL_API_KEY", "AuthenticationError"),
    ("get_invocation", _UNAUTHORIZED, "BCTRL_API_KEY", "AuthenticationError"),
    ("cancel_invocation", (503, error_body("down", "unavailable")), "bctrl's side", "ServerError"),
    ("cancel_invocation", _timeout, "Timed out", "BctrlTimeoutError"),
    ("get_invocation", _timeout, "Timed out", "BctrlTimeoutError"),
]


@pytest.mark.parametrize(("tool", "failure", "phrase", "error_type"), FAILURES)
async def test_bctrl_failures_are_error_results_with_the_curated_text(
    server: MCPServer[Operations],
    api: respx.MockRouter,
    tool: str,
    failure: Any,
    phrase: str,
    error_type: str,
) -> None:
    for route in (api.post(CANCEL), api.get(GET)):
        if callable(failure):
            route.mock(side_effect=failure)
        else:
            route.respond(failure[0], json=failure[1])
    result = await call(server, tool, {"invocation_id": INVOCATION_ID})
    assert result.is_error
    assert phrase in text(result)
    assert "Error executing tool" not in text(result)
    assert result.structured_content["message"] == text(result)
    assert result.structured_content["error"]["type"] == error_type


async def test_unreachable_bctrl_is_an_error_result(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    api.get(GET).mock(side_effect=httpx.ConnectError("connection refused"))
    result = await call(server, "get_invocation", {"invocation_id": INVOCATION_ID})
    assert result.is_error
    assert "Could not reach bctrl" in text(result)
    assert result.structured_content["error"]["type"] == "BctrlConnectionError"


async def test_an_invalid_id_is_refused_before_any_request(
    server: MCPServer[Operations], api: respx.MockRouter
) -> None:
    for spec in ONE_ID_SPECS:
        result = await call(server, spec.name, {"invocation_id": "../admin"})
        assert result.is_error
        assert "Invalid invocation id" in text(result)
    assert not api.calls


BAD_ARGUMENTS = [
    ("cancel_invocation", {}, "invocation_id: Field required"),
    ("cancel_invocation", {"invocation_id": 42}, "invocation_id: Input should be a valid string"),
    ("cancel_invocation", {"invocation_id": INVOCATION_ID, "wait_seconds": "soon"}, "wait_seconds"),
    ("cancel_invocation", {"invocation_id": INVOCATION_ID, "force": True}, "force: Extra inputs"),
    ("cancel_invocations", {"invocation_ids": []}, "invocation_ids"),
    ("cancel_invocations", {"invocation_ids": INVOCATION_ID}, "invocation_ids"),
    ("get_invocation", {}, "invocation_id: Field required"),
    ("get_invocation", {"invocation_id": None}, "invocation_id"),
    ("get_invocation", {"invocation_id": INVOCATION_ID, "verbose": 1}, "verbose: Extra inputs"),
]


@pytest.mark.parametrize(("tool", "arguments", "phrase"), BAD_ARGUMENTS)
async def test_bad_arguments_get_the_spec_message(
    server: MCPServer[Operations],
    api: respx.MockRouter,
    tool: str,
    arguments: dict[str, Any],
    phrase: str,
) -> None:
    result = await call(server, tool, arguments)
    assert result.is_error
    assert text(result).startswith(f"Invalid arguments for {tool}: ")
    assert phrase in text(result)
    assert text(result).endswith("Nothing was done.")
    content = result.structured_content
    assert (content["message"], content["is_error"]) == (text(result), True)
    assert content["error"] == {
        "type": "ToolInputError",
        "code": "invalid_argument",
        "status_code": None,
        "request_id": None,
    }
    assert not api.calls


async def test_no_arguments_at_all_is_a_bad_argument(server: MCPServer[Operations]) -> None:
    result = await call(server, "get_invocation", None)
    assert result.is_error
    assert "invocation_id: Field required" in text(result)


async def test_dry_run_sends_no_cancel(make_server: ServerFactory, api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record())
    cancel = api.post(CANCEL)
    result = await call(
        make_server(dry_run=True), "cancel_invocation", {"invocation_id": INVOCATION_ID}
    )
    assert not result.is_error
    assert result.structured_content["outcome"] == "dry_run"
    assert not cancel.called


async def test_a_bug_is_an_error_result_without_its_details(
    server: MCPServer[Operations], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Operations, invocation_id: str) -> None:
        raise RuntimeError("internal detail that must stay in the log")

    monkeypatch.setattr(Operations, "aget", broken)
    result = await call(server, "get_invocation", {"invocation_id": INVOCATION_ID})
    assert result.is_error
    assert "failed unexpectedly" in text(result)
    assert "internal detail" not in text(result)
    assert "RuntimeError" in text(result)
