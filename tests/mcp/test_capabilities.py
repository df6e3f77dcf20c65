"""The server advertises tools only: no empty prompts or resources, in either protocol era."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from bctrl_tools.operations import Operations


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # initialize, and server/discover
async def test_only_tools_are_advertised(server: MCPServer[Operations], mode: str) -> None:
    async with Client(server, mode=mode) as client:
        capabilities = client.server_capabilities
    assert capabilities is not None
    assert capabilities.tools is not None
    assert capabilities.prompts is None
    assert capabilities.resources is None
