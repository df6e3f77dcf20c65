"""Cancel a sandbox invocation through the bctrl MCP server, as Claude Desktop would.

Starts ``python -m mcp_server`` over stdio with the MCP SDK's client, lists its tools,
then inspects, cancels and re-reads an invocation it creates on a bctrl sandbox::

    python examples/mcp_client.py        # starts (and stops) its own sandbox
    BCTRL_BASE_URL=http://127.0.0.1:8787 BCTRL_API_KEY=... python examples/mcp_client.py

``make demo`` calls :func:`run` with a sandbox it already runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import CallToolResult

from bctrl_tools.sandbox.process import SandboxProcess, create_invocation

ROOT = Path(__file__).resolve().parents[1]


def run(base_url: str, api_key: str) -> None:
    """Create an invocation on the sandbox at ``base_url``, then cancel it over MCP."""
    invocation_id = str(create_invocation(base_url, api_key, run_seconds=120)["id"])
    env = {"BCTRL_API_KEY": api_key, "BCTRL_BASE_URL": base_url}
    with tempfile.TemporaryFile("w+") as server_log:
        asyncio.run(_session(env, invocation_id, server_log))
        server_log.seek(0)
        _show_log(server_log.read())


async def _session(env: dict[str, str], invocation_id: str, server_log: TextIO) -> None:
    # The server's stderr (its log, with the audit trail) is kept apart from our output.
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server"], env=env, cwd=ROOT
    )
    async with Client(stdio_client(server, errlog=server_log)) as client:
        print(f"Connected to {client.server_info.name if client.server_info else 'the server'}")
        tools = (await client.list_tools()).tools
        print("\nTools:")
        for tool in tools:
            hints = tool.annotations
            kind = "read-only" if hints and hints.read_only_hint else "destructive"
            print(f"  {tool.name:<20} {tool.title} ({kind})")

        print(f"\nInvocation {invocation_id}")
        await _call(client, "get_invocation", {"invocation_id": invocation_id})
        cancel = {"invocation_id": invocation_id, "wait_seconds": 5, "reason": "demo: runaway"}
        await _call(client, "cancel_invocation", cancel)
        await _call(client, "get_invocation", {"invocation_id": invocation_id})
        await _call(client, "get_invocation", {"invocation_id": "not/an-id"})


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    mark = "error" if result.is_error else "ok"
    line = " ".join(block.text for block in result.content if block.type == "text")
    print(f"\n> {tool}({_arguments(arguments)})  [{mark}]\n  {line}")
    structured = result.structured_content or {}
    if "outcome" in structured:
        print(f"  outcome: {structured['outcome']}, status: {structured.get('status')}")
    return result


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in arguments.items())


def _show_log(text: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        print("\nServer log (its stderr, with one audit line per cancel decision):")
        for line in lines:
            print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)  # only --help: the server to use comes from the environment
    base_url = os.environ.get("BCTRL_BASE_URL")
    if base_url:
        api_key = os.environ.get("BCTRL_API_KEY")
        if not api_key:
            sys.exit("BCTRL_BASE_URL is set, so set BCTRL_API_KEY to that sandbox's key too.")
        run(base_url, api_key)
        return
    with SandboxProcess(run_seconds=120) as sandbox:
        print(f"Sandbox running at {sandbox.base_url}")
        run(sandbox.base_url, sandbox.api_key)


if __name__ == "__main__":
    main()
