"""Turning what the shared tools report into MCP ``CallToolResult`` objects.

Every answer, success or failure, carries the one line the core wrote for the model as
text content, and the structured outcome as ``structuredContent``: a client never sees
the SDK's bare "Error executing tool".
"""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult, TextContent

from bctrl_tools.spec import ToolInputError, ToolResult, ToolSpec

__all__ = ["call_result", "invalid_arguments", "unexpected_failure"]


def call_result(result: ToolResult) -> CallToolResult:
    """The core's result, as is: its line as text, its data as structured content."""
    return CallToolResult(
        content=[TextContent(type="text", text=result.text)],
        structured_content=result.data,
        is_error=result.is_error,
    )


def invalid_arguments(error: ToolInputError) -> CallToolResult:
    """Arguments the input model refused, with the spec's own message on what to fix."""
    # Shaped like the core's error data ({"error", "error_type"}), so a client reads every
    # failed call the same way.
    message = str(error)
    data = {"error": message, "error_type": "ToolInputError"}
    return call_result(ToolResult(message, data, True))


def unexpected_failure(spec: ToolSpec[Any, Any], error: BaseException) -> CallToolResult:
    """A bug, not a bctrl failure: say so without passing on the exception's text."""
    # The exception text stays in the server log: it is not written for the model and
    # could carry anything. Cancelling may or may not have been sent, so say how to check.
    message = (
        f"{spec.name} failed unexpectedly inside the bctrl MCP server ({type(error).__name__}). "
        "Whether anything changed is unknown: read the invocation's state before retrying, "
        "and see the server's log for details."
    )
    return call_result(ToolResult(message, {"error": message, "error_type": "InternalError"}, True))
