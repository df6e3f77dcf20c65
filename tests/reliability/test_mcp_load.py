"""Load through the real MCP server over streamable HTTP: 300 concurrent cancels."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest

from bctrl_tools.sandbox.process import SandboxProcess
from tests.mcp.processes import TOKEN, free_port, over_http, running, server_env

pytestmark = pytest.mark.integration

CALLS = 300
CLIENTS = 10


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def cancel_all(url: str, ids: list[str]) -> list[str]:
    """Cancel every id, CLIENTS sessions at once, each sending its share concurrently."""
    outcomes: list[str] = []

    async def one_client(share: list[str]) -> None:
        async with over_http(url) as client, anyio.create_task_group() as calls:
            for invocation_id in share:
                calls.start_soon(one_call, client, invocation_id)

    async def one_call(client: object, invocation_id: str) -> None:
        result = await client.call_tool(  # type: ignore[attr-defined]
            "cancel_invocation", {"invocation_id": invocation_id}
        )
        outcomes.append("error" if result.is_error else result.structured_content["outcome"])

    async with anyio.create_task_group() as clients:
        for k in range(CLIENTS):
            clients.start_soon(one_client, ids[k::CLIENTS])
    return outcomes


def test_300_concurrent_cancels_all_succeed_without_leaking_descriptors(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    port = free_port()
    env = server_env(
        BCTRL_API_KEY=sandbox.api_key, BCTRL_BASE_URL=sandbox.base_url, BCTRL_MCP_AUTH_TOKEN=TOKEN
    )
    args = ["--transport", "streamable-http", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/mcp"
    with running(args, env, tmp_path / "stderr.log", port) as server:
        descriptors = []
        for _ in range(2):
            ids = sandbox.create_invocations(CALLS, run_seconds=120)
            outcomes = anyio.run(cancel_all, url, ids)
            assert outcomes.count("cancel_requested") == CALLS
            descriptors.append(open_fds(server.pid))
    # The first round fills the server's bounded pools (sessions, connections to bctrl);
    # a leak would grow again by hundreds in the second.
    first, second = descriptors
    assert second <= first + 10, descriptors
