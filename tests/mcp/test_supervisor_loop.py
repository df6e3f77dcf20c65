"""An MCP client supervising a real sandbox run over the SDK: list with runaway filters,
cancel what was found, verify, all from what the tools answered."""

from __future__ import annotations

import pytest
from mcp import Client

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.sandbox.process import SandboxProcess
from mcp_server.server import create_server
from tests.contract import assert_fits_output_schema
from tests.integration.runaway_runs import RULES, make_runaway_runs

pytestmark = pytest.mark.integration


async def test_list_cancel_verify_over_mcp(sandbox: SandboxProcess) -> None:
    [run] = make_runaway_runs(sandbox, 1)
    settings = ClientSettings(api_key=sandbox.api_key, base_url=sandbox.base_url)
    server = create_server(
        settings=settings, guardrails=Guardrails(self_invocation_id=run.anchor_id)
    )
    async with Client(server) as client:
        found = await client.call_tool("list_invocations", {"invocation_id": "self", **RULES})
        assert not found.is_error
        listing = found.structured_content
        assert listing is not None
        assert_fits_output_schema("list_invocations", listing)
        ids = [item["id"] for item in listing["items"] if not item["is_self"]]
        ids += listing["other_ids"]
        assert set(ids) == run.runaway_ids
        assert listing["run_id"] == run.run_id

        stopped = await client.call_tool(
            "cancel_invocations", {"invocation_ids": ids, "wait_seconds": 5}
        )
        assert not stopped.is_error
        assert stopped.structured_content is not None
        assert stopped.structured_content["counts"] == {"cancelled": 2}

        after = await client.call_tool(
            "list_invocations", {"run_id": run.run_id, "status": ["cancelled"]}
        )
        assert after.structured_content is not None
        assert {item["id"] for item in after.structured_content["items"]} == run.runaway_ids
        live = await client.call_tool("list_invocations", {"run_id": run.run_id})
        assert live.structured_content is not None
        assert {item["id"] for item in live.structured_content["items"]} == set(run.healthy_ids)
