"""What each kind of host shows the model of one tool result: the three host views.

* structured-first (Claude Code, VS Code): ``JSON.stringify(structuredContent)``, and the
  text blocks are dropped; a result without structured content falls back to its text;
* content-first (Claude Desktop, Cursor, langchain-mcp-adapters): the text blocks;
* LangChain: ``ToolMessage.content``.

Tests assert on these strings (our message is in each, each is bounded) and
``make bench`` measures them, so "what the model sees" is one definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp_types import CallToolResult

if TYPE_CHECKING:
    from langchain_core.messages import ToolMessage

__all__ = ["HostViews", "content_first", "langchain_view", "structured_first", "views"]


def structured_first(result: CallToolResult) -> str:
    """``JSON.stringify(structuredContent)``: compact, non-ASCII kept as is."""
    if result.structured_content is None:
        return content_first(result)
    return json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)


def content_first(result: CallToolResult) -> str:
    """The text blocks, one after the other."""
    return "\n".join(block.text for block in result.content if block.type == "text")


def langchain_view(message: ToolMessage) -> str:
    """What a chat model is sent of a ``ToolMessage``: its content, as text."""
    content: Any = message.content
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


@dataclass(frozen=True)
class HostViews:
    """One result as each kind of host shows it (``langchain`` when there was such a call)."""

    structured_first: str
    content_first: str
    langchain: str | None = None

    def named(self) -> dict[str, str]:
        """Each view there is, by name."""
        shown = {"structured-first": self.structured_first, "content-first": self.content_first}
        return shown | ({"langchain": self.langchain} if self.langchain is not None else {})

    def longest(self) -> int:
        return max(len(view) for view in self.named().values())


def views(result: CallToolResult, message: ToolMessage | None = None) -> HostViews:
    """The MCP result's two views, and the LangChain message's if one is given."""
    return HostViews(
        structured_first=structured_first(result),
        content_first=content_first(result),
        langchain=None if message is None else langchain_view(message),
    )
