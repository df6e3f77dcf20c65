"""tools/list: every tool is its spec, translated; read-only mode hides the destructive ones."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from bctrl_tools.operations import Operations
from bctrl_tools.spec import TOOL_SPECS, ToolSpec
from tests.contract import READ_ONLY_TOOLS
from tests.mcp.conftest import ServerFactory, text


async def listed(server: MCPServer[Operations]) -> dict[str, Any]:
    async with Client(server) as client:
        return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_every_spec_is_listed(server: MCPServer[Operations]) -> None:
    assert set(await listed(server)) == {spec.name for spec in TOOL_SPECS}


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name)
async def test_tool_is_its_spec(server: MCPServer[Operations], spec: ToolSpec[Any, Any]) -> None:
    tool = (await listed(server))[spec.name]
    assert tool.title == spec.title
    assert tool.description == spec.description
    assert tool.input_schema == spec.input_schema()
    assert tool.output_schema == spec.output_model.model_json_schema()
    assert tool.input_schema["additionalProperties"] is False


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name)
async def test_annotations_are_the_spec_hints(
    server: MCPServer[Operations], spec: ToolSpec[Any, Any]
) -> None:
    annotations = (await listed(server))[spec.name].annotations
    assert annotations is not None
    assert annotations.read_only_hint is spec.hints.read_only
    assert annotations.destructive_hint is spec.hints.destructive
    assert annotations.idempotent_hint is spec.hints.idempotent
    assert annotations.open_world_hint is spec.hints.open_world


async def test_cancel_tools_are_destructive_and_idempotent(server: MCPServer[Operations]) -> None:
    tools = await listed(server)
    cancelling = [name for name in tools if name not in READ_ONLY_TOOLS]
    assert cancelling
    for name in cancelling:
        hints = tools[name].annotations
        assert (hints.read_only_hint, hints.destructive_hint) == (False, True)
        assert (hints.idempotent_hint, hints.open_world_hint) == (True, True)
    for name in READ_ONLY_TOOLS:
        assert tools[name].annotations.read_only_hint is True


async def test_read_only_lists_no_destructive_tool(make_server: ServerFactory) -> None:
    tools = await listed(make_server(read_only=True))
    assert list(tools) == READ_ONLY_TOOLS


async def test_read_only_refuses_a_call_to_a_hidden_tool(make_server: ServerFactory) -> None:
    async with Client(make_server(read_only=True)) as client:
        result = await client.call_tool(
            "cancel_invocation", {"invocation_id": "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"}
        )
    assert result.is_error
    assert "Unknown tool" in text(result)
