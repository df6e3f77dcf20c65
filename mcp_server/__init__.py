"""The bctrl MCP server: cancel and inspect bctrl invocations from any MCP client.

``create_server()`` builds it (for embedding and in-process tests); ``bctrl-mcp`` and
``python -m mcp_server`` run it over stdio or streamable HTTP.
"""

from mcp_server.server import create_server

__all__ = ["create_server"]
