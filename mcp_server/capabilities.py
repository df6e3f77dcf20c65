"""Advertise only the capabilities this server has: tools, and no empty prompts or resources.

``MCPServer`` registers prompt and resource handlers whether or not anything is behind
them, so it advertises both; a client then lists them for nothing and shows empty
menus. The SDK derives capabilities from its handlers and offers no switch, so a server
middleware (the SDK's public hook around ``initialize``) takes them out of the answer
to ``initialize`` and to ``server/discover`` (the 2026-07-28 era's equivalent).
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

__all__ = ["UNSERVED", "advertise_only_what_we_serve"]

UNSERVED = frozenset({"prompts", "resources"})
_ADVERTISING = frozenset({"initialize", "server/discover"})


async def advertise_only_what_we_serve(
    ctx: ServerRequestContext[Any, Any], call_next: CallNext
) -> HandlerResult:
    result = await call_next(ctx)
    if ctx.method not in _ADVERTISING or not isinstance(result, dict):
        return result
    capabilities = result.get("capabilities")
    if not isinstance(capabilities, dict):
        return result
    kept = {name: value for name, value in capabilities.items() if name not in UNSERVED}
    return {**result, "capabilities": kept}
