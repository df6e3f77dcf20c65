"""Calling a tool the way an agent does (a ToolCall), through its sync or async path."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.tools import BaseTool

from bctrl_tools.langchain.tools import BctrlTool

Mode = Literal["sync", "async"]
MODES: tuple[Mode, ...] = ("sync", "async")


def tool_call(tool: BaseTool, args: dict[str, Any], call_id: str = "call-1") -> ToolCall:
    return ToolCall(name=tool.name, args=args, id=call_id, type="tool_call")


def call_tool(mode: Mode, tool: BctrlTool, args: dict[str, Any]) -> ToolMessage:
    """Invoke ``tool`` with a ToolCall via ``invoke`` or ``ainvoke``, then close its clients."""
    if mode == "sync":
        try:
            message = tool.invoke(tool_call(tool, args))
        finally:
            tool.operations.close()
    else:

        async def go() -> Any:
            try:
                return await tool.ainvoke(tool_call(tool, args))
            finally:
                await tool.operations.aclose()

        message = asyncio.run(go())
    assert isinstance(message, ToolMessage)
    return message
