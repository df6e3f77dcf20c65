"""create_server: configuration from the environment, one client per server lifetime."""

from __future__ import annotations

import pytest
import respx
from mcp import Client
from mcp.server.mcpserver import MCPServer

from bctrl_tools import AsyncBctrlClient, BctrlConfigError, ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from mcp_server import create_server
from tests.contract import READ_ONLY_TOOLS
from tests.mcp.conftest import (
    BASE_URL,
    CANARY_KEY,
    INVOCATION_ID,
    ServerFactory,
    record,
    text,
)

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"


def test_a_missing_key_fails_at_creation() -> None:
    with pytest.raises(BctrlConfigError, match="BCTRL_API_KEY"):
        create_server()


async def test_configuration_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter
) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", CANARY_KEY)
    monkeypatch.setenv("BCTRL_BASE_URL", BASE_URL)
    monkeypatch.setenv("BCTRL_READ_ONLY", "1")
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(200, json=record())
    async with Client(create_server()) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == READ_ONLY_TOOLS
        result = await client.call_tool("get_invocation", {"invocation_id": INVOCATION_ID})
    assert not result.is_error
    assert api.calls[0].request.headers["authorization"] == f"Bearer {CANARY_KEY}"


async def test_one_client_per_lifetime_closed_at_the_end(
    server: MCPServer[Operations], api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[AsyncBctrlClient] = []
    closed: list[AsyncBctrlClient] = []
    original_init, original_close = AsyncBctrlClient.__init__, AsyncBctrlClient.aclose

    def init(self: AsyncBctrlClient, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    async def aclose(self: AsyncBctrlClient) -> None:
        closed.append(self)
        await original_close(self)

    monkeypatch.setattr(AsyncBctrlClient, "__init__", init)
    monkeypatch.setattr(AsyncBctrlClient, "aclose", aclose)
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    async with Client(server) as client:
        for _ in range(3):
            await client.call_tool("cancel_invocation", {"invocation_id": INVOCATION_ID})
        assert len(opened) == 1
        assert closed == []
    assert closed == opened


async def test_the_cancel_budget_spans_calls(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    async with Client(make_server(max_cancels=1)) as client:
        first = await client.call_tool("cancel_invocation", {"invocation_id": INVOCATION_ID})
        second = await client.call_tool("cancel_invocation", {"invocation_id": INVOCATION_ID})
    assert first.structured_content["outcome"] == "cancel_requested"
    assert second.structured_content["outcome"] == "refused"
    assert "BCTRL_MAX_CANCELS" in text(second)


async def test_lent_operations_are_used_and_left_open(
    settings: ClientSettings, api: respx.MockRouter
) -> None:
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    async with AsyncBctrlClient(settings=settings) as bctrl:
        operations = Operations(
            async_client=bctrl, guardrails=Guardrails(dry_run=False), face="mcp"
        )
        async with Client(create_server(operations=operations)) as client:
            result = await client.call_tool("cancel_invocation", {"invocation_id": INVOCATION_ID})
        assert result.structured_content["outcome"] == "cancel_requested"
        assert not bctrl._http.is_closed
