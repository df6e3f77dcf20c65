"""What every transport must do against the real sandbox, written once for stdio and HTTP."""

from __future__ import annotations

import uuid
from typing import Any

from mcp import Client

from bctrl_tools.outcomes import CancelOutcome, InvocationReport
from bctrl_tools.sandbox.process import SandboxProcess
from bctrl_tools.spec import TOOL_SPECS
from tests.contract import assert_fits_output_schema
from tests.mcp.conftest import text


async def lists_the_tools(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {spec.name for spec in TOOL_SPECS}
    for spec in TOOL_SPECS:
        tool = tools[spec.name]
        assert tool.input_schema == spec.input_schema()
        assert tool.output_schema == spec.output_model.model_json_schema()
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is spec.hints.read_only
        assert tool.annotations.destructive_hint is spec.hints.destructive
        assert tool.annotations.idempotent_hint is spec.hints.idempotent


async def cancels_and_reads_back(client: Client, sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    cancelled = await client.call_tool("cancel_invocation", {"invocation_id": invocation_id})
    assert not cancelled.is_error, text(cancelled)
    outcome = CancelOutcome.model_validate(cancelled.structured_content)
    assert outcome.outcome in {"cancel_requested", "cancelled"}
    assert text(cancelled) == outcome.message

    read = await client.call_tool("get_invocation", {"invocation_id": invocation_id})
    assert not read.is_error, text(read)
    report = InvocationReport.model_validate(read.structured_content)
    assert report.status in {"cancelling", "cancelled"}


async def reports_each_error(client: Client) -> None:
    missing = str(uuid.uuid4())
    # Every tool that takes one invocation id.
    for tool in (s.name for s in TOOL_SPECS if "invocation_id" in s.input_model.model_fields):
        result = await client.call_tool(tool, {"invocation_id": missing})
        assert result.is_error
        assert "No such invocation" in text(result)
        assert_fits_output_schema(tool, result.structured_content)

        result = await client.call_tool(tool, {"invocation_id": "../../admin"})
        assert result.is_error
        assert "Invalid invocation id" in text(result)
        assert_fits_output_schema(tool, result.structured_content)

        for arguments, phrase in BAD_ARGUMENTS:
            if (
                not arguments
                and not TOOLS_BY_NAME[tool].input_model.model_fields["invocation_id"].is_required()
            ):
                phrase = "give exactly one of run_id, or invocation_id"  # list_invocations
            result = await client.call_tool(tool, arguments)
            assert result.is_error
            assert_fits_output_schema(tool, result.structured_content)
            assert text(result).startswith(f"Invalid arguments for {tool}: ")
            assert phrase in text(result)


TOOLS_BY_NAME = {spec.name: spec for spec in TOOL_SPECS}
BAD_ARGUMENTS: list[tuple[dict[str, Any], str]] = [
    ({}, "invocation_id: Field required"),
    ({"invocation_id": 12}, "invocation_id: Input should be a valid string"),
]


async def reports_bctrl_down(client: Client) -> None:
    invocation_id = str(uuid.uuid4())
    read = await client.call_tool("get_invocation", {"invocation_id": invocation_id})
    assert read.is_error
    assert "Could not reach bctrl" in text(read)
    assert read.structured_content["error"]["type"] == "BctrlConnectionError"

    cancel = await client.call_tool("cancel_invocation", {"invocation_id": invocation_id})
    assert cancel.is_error
    assert cancel.structured_content["outcome"] == "failed"
    assert cancel.structured_content["error"]["code"] == "connection_error"
