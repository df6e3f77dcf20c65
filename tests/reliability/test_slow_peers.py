"""Slow unauthenticated peers cannot starve the MCP HTTP server.

300 sockets send part of a request head and then nothing. The server runs with few
file descriptors (256), as a small container might: without a connection cap it runs
out of them and stops accepting anyone. With the cap it pushes the slow peers out to
make room, and closes every one of them after the header deadline (~10 s).

(A burst of accepts may still briefly run out of descriptors: asyncio then pauses
accepting for a second, logs it, and carries on, so that is not asserted on.)
"""

from __future__ import annotations

import resource
import selectors
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import anyio
import pytest

from mcp_server.peer_limits import DEFAULT_HEADER_TIMEOUT
from tests.mcp.processes import ROOT, TOKEN, free_port, over_http, server_env, stop
from tests.mcp.processes import wait_until_listening as wait_listening
from tests.reliability.hostile_server import HostileServer

pytestmark = pytest.mark.integration

SLOW_PEERS = 300
DESCRIPTORS = 256
PARTIAL_HEAD = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"


def few_descriptors() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, hard))


def slow_peer(port: int) -> socket.socket:
    peer = socket.create_connection(("127.0.0.1", port), timeout=5)
    peer.sendall(PARTIAL_HEAD)
    return peer


async def initialize_and_call(url: str) -> bool:
    with anyio.fail_after(5):
        async with over_http(url) as client:
            result = await client.call_tool("get_invocation", {"invocation_id": str(uuid.uuid4())})
            return not result.is_error


def closed_by_the_server(peers: list[socket.socket], until: float) -> int:
    """How many of ``peers`` the server has closed (EOF or reset) by ``until``."""
    with selectors.DefaultSelector() as watch:
        for peer in peers:
            watch.register(peer, selectors.EVENT_READ)
        closed = 0
        while closed < len(peers) and time.monotonic() < until:
            for key, _ in watch.select(timeout=max(0.0, until - time.monotonic())):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                try:
                    data = ready.recv(1024)
                except ConnectionError:
                    data = b""
                if not data:
                    watch.unregister(ready)
                    closed += 1
        return closed


def test_slow_peers_are_pushed_out_and_timed_out(tmp_path: Path) -> None:
    port = free_port()
    with HostileServer(tmp_path) as bctrl, (tmp_path / "stderr.log").open("wb") as stderr:
        env = server_env(
            BCTRL_API_KEY="hostile-key", BCTRL_BASE_URL=bctrl.base_url, BCTRL_MCP_AUTH_TOKEN=TOKEN
        )
        args = ["--transport", "streamable-http", "--port", str(port)]
        server = subprocess.Popen(
            [sys.executable, "-m", "mcp_server", *args],
            env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=stderr, preexec_fn=few_descriptors,
        )  # fmt: skip
        peers: list[socket.socket] = []
        try:
            wait_listening(server, port)
            opened = time.monotonic()
            peers = [slow_peer(port) for _ in range(SLOW_PEERS)]
            served = anyio.run(initialize_and_call, f"http://127.0.0.1:{port}/mcp")
            closed = closed_by_the_server(peers, opened + DEFAULT_HEADER_TIMEOUT + 3)
        finally:
            for peer in peers:
                peer.close()
            stop(server)
    assert served
    assert closed == SLOW_PEERS
