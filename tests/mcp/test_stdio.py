"""The real server over stdio, as Claude Desktop runs it, against the real sandbox."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest

from bctrl_tools.sandbox.process import SandboxProcess
from bctrl_tools.spec import TOOL_SPECS
from tests.contract import READ_ONLY_TOOLS
from tests.mcp import scenarios
from tests.mcp.processes import ROOT, diagnosed, free_port, over_stdio, server_env, stop

pytestmark = pytest.mark.integration


def sandbox_env(sandbox: SandboxProcess) -> dict[str, str]:
    return server_env(BCTRL_API_KEY=sandbox.api_key, BCTRL_BASE_URL=sandbox.base_url)


async def test_a_session_against_the_sandbox(sandbox: SandboxProcess, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog, diagnosed(log):
        async with over_stdio(sandbox_env(sandbox), errlog) as client:
            await scenarios.lists_the_tools(client)
            await scenarios.cancels_and_reads_back(client, sandbox)
            await scenarios.reports_each_error(client)


async def test_bctrl_down(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    env = server_env(
        BCTRL_API_KEY="any-key",
        BCTRL_BASE_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        BCTRL_MAX_RETRIES="0",
    )
    with log.open("w") as errlog, diagnosed(log):
        async with over_stdio(env, errlog) as client:
            await scenarios.reports_bctrl_down(client)


@pytest.mark.parametrize(
    ("args", "variables", "named"),
    [
        (["--confirm"], {}, "--confirm was given"),
        ([], {"BCTRL_CONFIRM": "1"}, "BCTRL_CONFIRM is set"),
        (["--dry-run"], {}, "--dry-run was given"),
        ([], {"BCTRL_DRY_RUN": "1"}, "BCTRL_DRY_RUN is set"),
        (["--read-only"], {}, None),  # not even offered: no message to name it in
    ],
)
async def test_messages_name_the_switch_that_was_used(
    sandbox: SandboxProcess,
    tmp_path: Path,
    args: list[str],
    variables: dict[str, str],
    named: str | None,
) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog, diagnosed(log):
        async with over_stdio(sandbox_env(sandbox) | variables, errlog, args) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            if named is None:
                assert tools == set(READ_ONLY_TOOLS)
                return
            result = await client.call_tool("cancel_invocation", {"invocation_id": invocation_id})
    assert result.structured_content is not None
    message = result.structured_content["message"]
    assert f"({named})" in message
    assert ("BCTRL_" in named) == ("BCTRL_" in message)  # never the one not used


# Runs the real main() with an import hook, then says on stderr whether any langchain
# module was ever imported (the server must stay light to start).
PROBE = """
import sys
from mcp_server.__main__ import main
sys.argv = ["bctrl-mcp"]
main()
loaded = sorted(name for name in sys.modules if name.split(".")[0].startswith("langchain"))
print("LANGCHAIN-MODULES", loaded, file=sys.stderr)
"""


class Pipe:
    """JSON-RPC over a child's stdin and stdout, each stdout line kept as read."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self._stdin: IO[str] = process.stdin
        self.lines: list[str] = []
        self._responses: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self.lines.append(line)
            try:
                message = json.loads(line)
            except ValueError:
                continue  # kept in self.lines, where the test finds it
            if isinstance(message, dict) and "id" in message:
                self._responses.put(message)

    def send(
        self, method: str, params: dict[str, Any] | None = None, id: int | None = None
    ) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        if id is not None:
            message["id"] = id
        self._stdin.write(json.dumps(message) + "\n")
        self._stdin.flush()

    def request(self, id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.send(method, params, id)
        response = self._responses.get(timeout=30)
        assert response["id"] == id
        return response

    def close(self) -> None:
        self._stdin.close()


def test_stdout_carries_only_json_rpc(sandbox: SandboxProcess, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr, diagnosed(log):
        process = subprocess.Popen(
            [sys.executable, "-c", PROBE],
            env=sandbox_env(sandbox),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            pipe = Pipe(process)
            hello = {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "probe", "version": "1"},
            }
            initialized = pipe.request(1, "initialize", hello)["result"]
            assert initialized["serverInfo"]["name"] == "bctrl"
            assert set(initialized["capabilities"]) == {"tools"}  # no empty prompts/resources
            pipe.send("notifications/initialized")
            assert len(pipe.request(2, "tools/list")["result"]["tools"]) == len(TOOL_SPECS)
            bad = pipe.request(3, "tools/call", {"name": "get_invocation", "arguments": {}})
            assert bad["result"]["isError"] is True
            pipe.close()
            assert process.wait(30) == 0
        finally:
            stop(process)
    assert pipe.lines
    for line in pipe.lines:
        assert json.loads(line)["jsonrpc"] == "2.0", line
    assert "LANGCHAIN-MODULES []" in log.read_text()
