"""Every kind of result fits the outputSchema its tool advertises: the tool-result contract.

Hosts on the official TypeScript SDK reject a result whose structuredContent does not
match the tool's outputSchema, even when isError is true. ``call`` (conftest) checks
each result against what tools/list advertised; these cases cover every path.
"""

from __future__ import annotations

from typing import Any

import pytest
import respx

from bctrl_tools.operations import Operations
from bctrl_tools.spec import TOOL_SPECS, ToolSpec
from tests.contract import example_arguments
from tests.mcp.conftest import (
    INVOCATION_ID,
    OTHER_ID,
    ServerFactory,
    call,
    error_body,
    record,
    text,
)

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"
GET = f"/v1/invocations/{INVOCATION_ID}"
ONE = {"invocation_id": INVOCATION_ID}
MANY = {"invocation_ids": [INVOCATION_ID, OTHER_ID]}


def _ok(api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record())
    api.post(url__regex=r"/cancel$").respond(200, json=record(status="cancelling"))


def _listed(api: respx.MockRouter) -> None:
    _ok(api)
    api.get(url__regex=r"/v1/runs/[^/]+/commands").respond(200, json={"commands": [record()]})


def _status(status: int, code: str) -> Any:
    def mock(api: respx.MockRouter) -> None:
        for route in (api.get(url__regex=r"/v1/invocations/[^/]+$"), api.post(url__regex="/")):
            route.respond(status, json=error_body("refused", code))

    return mock


# (case, guardrails, how bctrl answers, tool, arguments, is_error, error type or None)
CASES: list[tuple[str, dict[str, Any], Any, str, dict[str, Any], bool, str | None]] = [
    ("cancel ok", {}, _ok, "cancel_invocation", ONE, False, None),
    ("batch ok", {}, _ok, "cancel_invocations", MANY, False, None),
    ("get ok", {}, _ok, "get_invocation", ONE, False, None),
    ("cancel 404", {}, _status(404, "not_found"), "cancel_invocation", ONE, True, "NotFoundError"),
    ("batch 404", {}, _status(404, "not_found"), "cancel_invocations", MANY, True, None),
    ("get 404", {}, _status(404, "not_found"), "get_invocation", ONE, True, "NotFoundError"),
    ("cancel 401", {}, _status(401, "unauthorized"), "cancel_invocation", ONE, True,
     "AuthenticationError"),
    ("get 401", {}, _status(401, "unauthorized"), "get_invocation", ONE, True,
     "AuthenticationError"),
    ("read-only get", {"read_only": True}, _ok, "get_invocation", ONE, False, None),
    ("budget spent", {"max_cancels": 0}, _ok, "cancel_invocation", ONE, True, None),
    ("budget, batch", {"max_cancels": 0}, _ok, "cancel_invocations", MANY, True, None),
    ("dry run", {"dry_run": True}, _ok, "cancel_invocation", ONE, False, None),
    ("outside spaces", {"allowed_space_ids": ["elsewhere"]}, _ok, "cancel_invocation", ONE,
     True, None),
    ("wait too long", {}, _ok, "cancel_invocation", {**ONE, "wait_seconds": 1000}, True,
     "ToolInputError"),
    ("extra key", {}, _ok, "get_invocation", {**ONE, "verbose": True}, True, "ToolInputError"),
    ("empty id list", {}, _ok, "cancel_invocations", {"invocation_ids": []}, True,
     "ToolInputError"),
    ("malformed id", {}, _ok, "get_invocation", {"invocation_id": "../x"}, True,
     "InvalidInvocationIdError"),
    ("list ok", {}, _listed, "list_invocations", ONE, False, None),
    ("list filtered", {}, _listed, "list_invocations",
     {**ONE, "running_longer_than_seconds": 60, "min_steps": 2}, False, None),
    ("list 404", {}, _status(404, "not_found"), "list_invocations", ONE, True, "NotFoundError"),
    ("list no run", {}, _ok, "list_invocations", {}, True, "ToolInputError"),
    ("list bad status", {}, _ok, "list_invocations", {**ONE, "status": ["paused"]}, True,
     "ToolInputError"),
    ("list bad run id", {}, _ok, "list_invocations", {"run_id": "../x"}, True,
     "InvalidInvocationIdError"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rails", "bctrl", "tool", "arguments", "is_error", "error_type"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_every_result_fits_the_advertised_output_schema(
    make_server: ServerFactory,
    api: respx.MockRouter,
    rails: dict[str, Any],
    bctrl: Any,
    tool: str,
    arguments: dict[str, Any],
    is_error: bool,
    error_type: str | None,
) -> None:
    bctrl(api)
    result = await call(make_server(**rails), tool, arguments)  # checks the schema
    content = result.structured_content
    assert content is not None
    assert result.is_error is is_error
    assert text(result).startswith(content["message"])  # a batch's text names more
    assert content["is_error"] is is_error
    if error_type is not None:
        assert content["error"]["type"] == error_type


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name)
async def test_an_unexpected_exception_fits_the_output_schema(
    server: Any, monkeypatch: pytest.MonkeyPatch, spec: ToolSpec[Any, Any]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    # Every tool runs a flow (_arun) or plans a batch (_plan) first.
    monkeypatch.setattr(Operations, "_arun", broken)
    monkeypatch.setattr(Operations, "_plan", broken)
    result = await call(server, spec.name, example_arguments(spec))  # checks the schema
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"]["type"] == "InternalError"
    assert "secret internals" not in text(result)
