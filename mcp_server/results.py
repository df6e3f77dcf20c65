"""Turning what the shared tools report into MCP ``CallToolResult`` objects.

Every answer, success or failure, carries the one line the core wrote for the model as
text content, and the structured outcome as ``structuredContent``: a client never sees
the SDK's bare "Error executing tool".
"""

from __future__ import annotations

from mcp_types import CallToolResult, TextContent

from bctrl_tools.spec import ToolResult

__all__ = ["call_result"]


def call_result(result: ToolResult) -> CallToolResult:
    """The core's result, as is: its line as text, its data as structured content."""
    return CallToolResult(
        content=[TextContent(type="text", text=result.text)],
        structured_content=result.data,
        is_error=result.is_error,
    )
