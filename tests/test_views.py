"""The host-view helper renders what each kind of host shows the model."""

from __future__ import annotations

from langchain_core.messages import ToolMessage
from mcp_types import CallToolResult, TextContent

from tests.views import views


def test_each_view() -> None:
    result = CallToolResult(
        content=[TextContent(type="text", text="Cancel requested: é.")],
        structured_content={"message": "Cancel requested: é.", "outcome": "cancel_requested"},
    )
    message = ToolMessage(content="Cancel requested: é.", tool_call_id="call_1")
    shown = views(result, message)
    # As JSON.stringify writes it: no spaces, no \u escapes.
    assert shown.structured_first == (
        '{"message":"Cancel requested: é.","outcome":"cancel_requested"}'
    )
    assert shown.content_first == "Cancel requested: é."
    assert shown.langchain == "Cancel requested: é."
    assert set(shown.named()) == {"structured-first", "content-first", "langchain"}
    assert shown.longest() == len(shown.structured_first)


def test_without_structured_content_a_structured_first_host_shows_the_text() -> None:
    result = CallToolResult(content=[TextContent(type="text", text="Only text.")])
    shown = views(result)
    assert shown.structured_first == shown.content_first == "Only text."
    assert set(shown.named()) == {"structured-first", "content-first"}
