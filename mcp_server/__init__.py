"""The bctrl MCP server: cancel and inspect bctrl invocations from any MCP client.

``create_server()`` builds it (for embedding and in-process tests); ``bctrl-mcp`` and
``python -m mcp_server`` run it over stdio or streamable HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_server.server import create_server

__all__ = ["create_server"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `bctrl-mcp` (which imports this package first) can say which extra
    # to install when the mcp SDK is missing, instead of failing on this import.
    if name == "create_server":
        from mcp_server.server import create_server

        return create_server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
