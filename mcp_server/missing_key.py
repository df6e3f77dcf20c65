"""Serving without ``BCTRL_API_KEY``: list the tools, and answer every call with how to set it.

A host whose server exits at start shows its user only "connection closed", with our
message buried in a log. So ``bctrl-mcp`` starts anyway: the tools are listed, and every
call comes back as an error naming where this host keeps the key. The wording avoids
the ``name=value`` shape, which hosts' secret redactors rewrite.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from bctrl_tools.spec import ToolResult, ToolSpec
from bctrl_tools.tool_output import ErrorInfo
from mcp_server.results import call_result

__all__ = ["HOW_TO_SET", "NO_KEY_MESSAGE", "STARTUP_LINE", "NoKeyCall", "key_is_missing"]

HOW_TO_SET = (
    "Give the server the environment variable BCTRL_API_KEY, holding your bctrl API key, "
    'then restart it: in Claude Desktop, under "env" in this server\'s entry of '
    "claude_desktop_config.json; in Claude Code, with claude mcp add bctrl -e followed by "
    "BCTRL_API_KEY, an equals sign and the key, then -- bctrl-mcp; anywhere else, in the "
    "environment that starts bctrl-mcp."
)
NO_KEY_MESSAGE = (
    f"bctrl-mcp has no API key, so it cannot reach bctrl: nothing was done. {HOW_TO_SET}"
)
STARTUP_LINE = (
    "bctrl-mcp: BCTRL_API_KEY is not set; the tools are listed, but every call will answer "
    f"with how to set it. {HOW_TO_SET}"
)


MISSING_KEY = ErrorInfo(type="BctrlConfigError", code="missing_api_key")


def key_is_missing(environ: Mapping[str, str] | None = None) -> bool:
    """Whether no key is set at all (a malformed key is a configuration error instead)."""
    env = os.environ if environ is None else environ
    return not env.get("BCTRL_API_KEY", "").strip()


@dataclass(frozen=True)
class NoKeyCall:
    """A tool call on a keyless server: the same error, whatever the arguments."""

    spec: ToolSpec[Any, Any]

    async def __call__(
        self, arguments: dict[str, Any], context: Context[Any, Any]
    ) -> CallToolResult:
        return call_result(no_key_result(self.spec))


def no_key_result(spec: ToolSpec[Any, Any]) -> ToolResult:
    """The tool's own output model, so the answer fits the schema it advertised."""
    return spec.failure(NO_KEY_MESSAGE, MISSING_KEY)
