"""One call through both faces, as each kind of host shows it to the model.

``Faces(api).seen(tool, arguments)`` calls the tool through the MCP server (the SDK's
in-process client) and through the LangChain tool (a ToolCall, async), against bctrl
mocked by respx, and returns the three host views of ``tests/views.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp import Client

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import BctrlToolkit
from mcp_server import create_server
from tests.conftest import MOCK_BASE_URL
from tests.views import HostViews, views

API_KEY = "bk_live_CANARY_views_7c1e"


@dataclass
class Faces:
    """Both faces over one mocked bctrl, with the same guardrails."""

    guardrails: Guardrails = field(default_factory=Guardrails)

    async def seen(self, tool: str, arguments: dict[str, Any]) -> HostViews:
        settings = ClientSettings(api_key=API_KEY, base_url=MOCK_BASE_URL, max_retries=0)
        async with Client(create_server(settings=settings, guardrails=self.guardrails)) as client:
            result = await client.call_tool(tool, arguments)
        toolkit = BctrlToolkit(api_key=API_KEY, base_url=MOCK_BASE_URL, guardrails=self.guardrails)
        try:
            [langchain_tool] = [t for t in toolkit.get_tools() if t.name == tool]
            call = {"type": "tool_call", "id": "call_1", "name": tool, "args": arguments}
            message = await langchain_tool.ainvoke(call)
        finally:
            await toolkit.aclose()
        shown = views(result, message)
        for view in shown.named().values():
            assert API_KEY not in view
        return shown
