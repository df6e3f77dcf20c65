"""cancel_invocations reports each finished item as an MCP progress notification."""

from __future__ import annotations

import pytest
import respx
from mcp import Client
from mcp.server.mcpserver import MCPServer

from bctrl_tools.operations import Operations
from tests.mcp.conftest import INVOCATION_ID, OTHER_ID, THIRD_ID, record

IDS = [INVOCATION_ID, OTHER_ID, THIRD_ID]


@pytest.fixture
def bctrl(api: respx.MockRouter) -> respx.MockRouter:
    for invocation_id in IDS:
        api.post(f"/v1/invocations/{invocation_id}/cancel").respond(
            200, json=record(invocation_id, status="cancelling")
        )
    return api


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_each_finished_item_is_reported(
    server: MCPServer[Operations], bctrl: respx.MockRouter, mode: str
) -> None:
    reports: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    async with Client(server, mode=mode) as client:
        result = await client.call_tool(
            "cancel_invocations", {"invocation_ids": IDS}, progress_callback=on_progress
        )
    assert not result.is_error
    assert sorted(progress for progress, _, _ in reports) == [1, 2, 3]
    # Each report is one item's own line, naming its id.
    named = sorted(i for _, _, message in reports for i in IDS if i in (message or ""))
    assert named == sorted(IDS)


async def test_no_progress_is_sent_unasked(
    server: MCPServer[Operations], bctrl: respx.MockRouter
) -> None:
    async with Client(server) as client:
        result = await client.call_tool("cancel_invocations", {"invocation_ids": IDS})
    assert result.structured_content["counts"] == {"cancel_requested": 3}
