"""The real server over streamable HTTP: the tools, the token, the Host check, stateless mode."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bctrl_tools.sandbox.process import SandboxProcess
from tests.mcp import scenarios
from tests.mcp.processes import ROOT, SERVER, TOKEN, free_port, over_http, running, server_env

pytestmark = pytest.mark.integration

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@dataclass(frozen=True)
class Served:
    url: str
    port: int


@pytest.fixture(scope="module")
def token_server(
    sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """Bound to every interface, so only the token and the Host check keep others out."""
    port = free_port()
    env = server_env(
        BCTRL_API_KEY=sandbox.api_key, BCTRL_BASE_URL=sandbox.base_url, BCTRL_MCP_AUTH_TOKEN=TOKEN
    )
    args = ["--transport", "streamable-http", "--host", "0.0.0.0", "--port", str(port)]
    log = tmp_path_factory.mktemp("token-server") / "stderr.log"
    with running(args, env, log, port):
        yield Served(f"http://127.0.0.1:{port}/mcp", port)


@pytest.fixture(scope="module")
def stateless_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Stateless, token on the command line, and bctrl down: nothing listens at its URL."""
    port = free_port()
    env = server_env(
        BCTRL_API_KEY="any-key",
        BCTRL_BASE_URL=f"http://127.0.0.1:{free_port()}",
        BCTRL_MAX_RETRIES="0",
    )
    args = [
        "--transport", "streamable-http", "--port", str(port), "--path", "/bctrl",
        "--stateless", "--auth-token", TOKEN,
    ]  # fmt: skip
    log = tmp_path_factory.mktemp("stateless-server") / "stderr.log"
    with running(args, env, log, port):
        yield Served(f"http://127.0.0.1:{port}/bctrl", port)


async def test_a_session_against_the_sandbox(token_server: Served, sandbox: SandboxProcess) -> None:
    async with over_http(token_server.url) as client:
        await scenarios.lists_the_tools(client)
        await scenarios.cancels_and_reads_back(client, sandbox)
        await scenarios.reports_each_error(client)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_no_token_no_entry(token_server: Served, authorization: str | None) -> None:
    headers = dict(MCP_HEADERS)
    if authorization:
        headers["Authorization"] = authorization
    response = httpx.post(token_server.url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_the_token_lets_a_client_in(token_server: Served) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(token_server.url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 200


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:80", "10.9.8.7:8000"])
def test_a_foreign_host_is_refused_even_with_the_token(token_server: Served, host: str) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": host}
    response = httpx.post(token_server.url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 421


def test_a_foreign_origin_is_refused(token_server: Served) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": "https://evil.test"}
    response = httpx.post(token_server.url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 403


async def test_stateless_serves_tools_and_reports_bctrl_down(stateless_server: Served) -> None:
    async with over_http(stateless_server.url) as client:
        await scenarios.lists_the_tools(client)
        await scenarios.reports_bctrl_down(client)


def test_stateless_answers_plain_json(stateless_server: Served) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(stateless_server.url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["result"]["serverInfo"]["name"] == "bctrl"


def start(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SERVER, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_an_exposed_bind_without_a_token_is_refused_at_start() -> None:
    done = start(
        ["--transport", "streamable-http", "--host", "0.0.0.0", "--port", str(free_port())],
        server_env(BCTRL_API_KEY="any-key"),
    )
    assert done.returncode != 0
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "without an auth token" in line
    assert "BCTRL_MCP_AUTH_TOKEN" in line


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "bctrl-mcp"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for flag in ("--transport", "--stateless", "--auth-token", "--read-only", "--confirm"):
        assert flag in done.stdout


def test_a_busy_port_is_one_line_suggesting_another() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = start(
            ["--transport", "streamable-http", "--port", str(port)],
            server_env(BCTRL_API_KEY="any-key"),
        )
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()  # no "serving ..." line before it, no traceback
    assert line.startswith(f"bctrl-mcp: port {port} on 127.0.0.1 is already in use")
    assert "--port" in line


def test_the_banner_names_the_bound_port(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    args = ["--transport", "streamable-http", "--port", "0"]
    with running(args, server_env(BCTRL_API_KEY="any-key", BCTRL_MCP_AUTH_TOKEN=TOKEN), log):
        deadline = time.monotonic() + 30
        while "serving" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        url = log.read_text().split(" on ", 1)[1].split()[0]
        assert not url.startswith("http://127.0.0.1:0/")
        response = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS, timeout=10)
    assert response.status_code == 401
    assert "--header 'Authorization: Bearer <token>'" in response.json()["error_description"]
