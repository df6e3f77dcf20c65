"""The baseline MCP server: a bare ``MCPServer`` with one trivial tool, over stdio.

What any MCP server written with the SDK costs to start and to keep resident; the bctrl
server (``python -m mcp_server``) is measured against it. Run: ``python -m
benchmarks.mcp_baseline``.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("baseline")


@server.tool()
def echo(text: str) -> str:
    """Answer with the text it was given."""
    return text


if __name__ == "__main__":
    server.run("stdio")
