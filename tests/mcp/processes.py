"""Running ``python -m mcp_server`` as a real subprocess, and always stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).parents[2]
SERVER = [sys.executable, "-m", "mcp_server"]
TOKEN = "test-token-0f3c9e"
STARTUP_SECONDS = 30.0


def free_port() -> int:
    """A loopback port nothing listens on (closed again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(**variables: str) -> dict[str, str]:
    """Our environment without any BCTRL_*, plus ``variables``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BCTRL_")}
    return env | variables


@contextmanager
def diagnosed(log: Path) -> Iterator[None]:
    """On failure, show the server's stderr (pytest prints captured stdout)."""
    try:
        yield
    except BaseException:
        print(f"--- server stderr ---\n{log.read_text(errors='replace') if log.exists() else ''}")
        raise


@contextmanager
def running(
    args: Sequence[str], env: dict[str, str], log: Path, port: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """The server, started with ``args``; if ``port`` is given, once it accepts connections."""
    with log.open("wb") as stderr, diagnosed(log):
        process = subprocess.Popen(
            [*SERVER, *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=stderr
        )
        try:
            if port is not None:
                wait_until_listening(process, port)
            yield process
        finally:
            stop(process)


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the server did not listen on port {port} within {STARTUP_SECONDS}s")


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def over_stdio(
    env: dict[str, str], log: TextIO, args: Sequence[str] = ()
) -> AsyncIterator[Client]:
    """An SDK client talking to a fresh server subprocess (with ``args``) over stdio."""
    parameters = StdioServerParameters(
        command=SERVER[0], args=[*SERVER[1:], *args], env=env, cwd=ROOT
    )
    async with Client(stdio_client(parameters, errlog=log)) as client:
        yield client


@asynccontextmanager
async def over_http(url: str, token: str | None = TOKEN) -> AsyncIterator[Client]:
    """An SDK client talking to a running server over streamable HTTP."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx2.Timeout(30.0, read=60.0)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client
