"""A third-party client: the official TypeScript SDK drives ``bctrl-mcp`` against the sandbox.

Most desktop hosts embed ``@modelcontextprotocol/sdk`` 1.x, which checks every
``structuredContent`` against the tool's ``outputSchema``, errors included, and throws
instead of showing the result. ``tests/mcp/typescript/drive.mjs`` calls every tool on
each path (success, not found, malformed id, wrong key, guardrail refusal, bad
arguments) over stdio and over streamable HTTP; this test checks that the SDK threw on
none of them and that each result carries our curated message.

``make install`` puts the pinned SDK in ``tests/mcp/typescript/node_modules`` (npm ci).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bctrl_tools.sandbox.process import SandboxProcess
from bctrl_tools.spec import TOOL_SPECS
from tests.mcp.processes import ROOT, SERVER, TOKEN, free_port, running, server_env

pytestmark = pytest.mark.integration

CLIENT_DIR = Path(__file__).parent / "typescript"
DRIVER = CLIENT_DIR / "drive.mjs"
NODE = shutil.which("node")
TOOL_NAMES = {spec.name for spec in TOOL_SPECS}
ALLOWED_SPACE = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
OTHER_SPACE = "0f1e2d3c-4b5a-4697-8877-665544332211"


@dataclass(frozen=True)
class Call:
    """One tool call, and what its result must say."""

    label: str
    tool: str
    arguments: dict[str, Any]
    is_error: bool
    phrase: str


@dataclass
class Config:
    """One server's environment and the calls to make on it."""

    name: str
    env: dict[str, str]
    calls: list[Call] = field(default_factory=list)


def _node_or_skip() -> str:
    if NODE is None:
        pytest.skip(
            "NODE IS NOT INSTALLED: the TypeScript SDK client test did not run. Install "
            "Node.js 20+ and run `make install` to test bctrl-mcp with a third-party client."
        )
    if not (CLIENT_DIR / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        pytest.fail(
            "node is installed but the TypeScript SDK is not: run `make install` "
            "(it runs `npm ci` in tests/mcp/typescript)."
        )
    return NODE


def configs(sandbox: SandboxProcess) -> list[Config]:
    """Every path of every tool, on a server with the right key, a wrong one, and guardrails."""
    ok = sandbox.create_invocations(3, space_id=ALLOWED_SPACE)
    missing = str(uuid.uuid4())
    key = {"BCTRL_API_KEY": sandbox.api_key, "BCTRL_BASE_URL": sandbox.base_url}
    normal = Config("normal", key)
    normal.calls = [
        Call("get", "get_invocation", {"invocation_id": ok[0]}, False, f"Invocation {ok[0]}:"),
        Call(
            "get full",
            "get_invocation",
            {"invocation_id": ok[0], "detail": "full"},
            False,
            '"request":{',
        ),
        Call("cancel", "cancel_invocation", {"invocation_id": ok[0]}, False, ok[0]),
        Call("batch", "cancel_invocations", {"invocation_ids": ok[1:]}, False, "2 invocations:"),
        Call("list", "list_invocations", {"invocation_id": ok[0]}, False, "invocations listed"),
        Call("list unknown run", "list_invocations", {"run_id": missing}, True, "No such run"),
        *_not_found(missing),
        Call(
            "malformed id",
            "get_invocation",
            {"invocation_id": "../../admin"},
            True,
            "Invalid invocation id",
        ),
        *_bad_arguments(ok[0]),
    ]

    wrong_key = Config("wrong key", key | {"BCTRL_API_KEY": "not-the-sandbox-key"})
    wrong_key.calls = [
        Call(f"wrong key {tool}", tool, arguments, True, "BCTRL_API_KEY")
        for tool, arguments in _every_tool(ok[0])
    ]

    outside, inside, spare = (
        sandbox.create_invocation(space_id=OTHER_SPACE)["id"],
        *sandbox.create_invocations(2, space_id=ALLOWED_SPACE),
    )
    guarded = Config(
        "guarded", key | {"BCTRL_ALLOWED_SPACE_IDS": ALLOWED_SPACE, "BCTRL_MAX_CANCELS": "1"}
    )
    guarded.calls = [
        Call(
            "outside the allowed spaces",
            "cancel_invocation",
            {"invocation_id": outside},
            True,
            "outside the spaces this agent may cancel in",
        ),
        Call("within budget", "cancel_invocation", {"invocation_id": inside}, False, inside),
        Call(
            "budget spent",
            "cancel_invocations",
            {"invocation_ids": [spare]},
            True,
            "The cancel budget is spent",
        ),
    ]
    no_key = Config("no key", {"BCTRL_BASE_URL": sandbox.base_url})
    no_key.calls = [
        Call(f"no key {tool}", tool, arguments, True, "claude_desktop_config.json")
        for tool, arguments in _every_tool(ok[0])
    ]
    return [normal, wrong_key, guarded, no_key]


def _every_tool(invocation_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("get_invocation", {"invocation_id": invocation_id}),
        ("cancel_invocation", {"invocation_id": invocation_id}),
        ("cancel_invocations", {"invocation_ids": [invocation_id]}),
        ("list_invocations", {"invocation_id": invocation_id}),
    ]


def _not_found(missing: str) -> list[Call]:
    return [
        Call(f"not found {tool}", tool, arguments, True, "No such invocation")
        for tool, arguments in _every_tool(missing)
    ]


def _bad_arguments(invocation_id: str) -> list[Call]:
    bad: list[tuple[str, dict[str, Any]]] = [
        ("get_invocation", {}),
        ("get_invocation", {"invocation_id": invocation_id, "extra": 1}),
        ("cancel_invocation", {"invocation_id": invocation_id, "wait_seconds": 1000}),
        ("cancel_invocations", {"invocation_ids": []}),
        ("list_invocations", {}),
    ]
    return [
        Call(f"bad arguments {i}", tool, arguments, True, f"Invalid arguments for {tool}: ")
        for i, (tool, arguments) in enumerate(bad)
    ]


@contextmanager
def http_servers(configs: list[Config], tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """Each config's server running over streamable HTTP, as plan entries."""
    with ExitStack() as stack:
        entries = []
        for config in configs:
            port = free_port()
            args = ["--transport", "streamable-http", "--port", str(port)]
            env = server_env(**config.env, BCTRL_MCP_AUTH_TOKEN=TOKEN)
            log = tmp_path / f"{config.name.replace(' ', '-')}.stderr.log"
            stack.enter_context(running(args, env, log, port))
            url = f"http://127.0.0.1:{port}/mcp"
            entries.append(_entry(config, {"http": {"url": url, "token": TOKEN}}))
        yield entries


def _stdio_servers(configs: list[Config]) -> list[dict[str, Any]]:
    return [
        _entry(
            config,
            {
                "stdio": {
                    "command": SERVER[0],
                    "args": SERVER[1:],
                    "env": server_env(**config.env),
                    "cwd": str(ROOT),
                }
            },
        )
        for config in configs
    ]


def _entry(config: Config, transport: dict[str, Any]) -> dict[str, Any]:
    calls = [{"label": c.label, "tool": c.tool, "arguments": c.arguments} for c in config.calls]
    return {"name": config.name, **transport, "calls": calls}


def drive(node: str, servers: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """Run the node driver on ``servers``; its JSON lines."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"servers": servers}))
    done = subprocess.run(
        [node, str(DRIVER), str(plan)],
        cwd=CLIENT_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"the driver failed:\n{done.stderr[-4000:]}"
    return [json.loads(line) for line in done.stdout.splitlines()]


def check(configs: list[Config], lines: list[dict[str, Any]]) -> None:
    """Every problem at once: a thrown call, a missing call, a wrong flag or message."""
    listed = {line["server"]: line["tools"] for line in lines if line["event"] == "tools"}
    results = {(line["server"], line["label"]): line for line in lines if line["event"] == "call"}
    problems = []
    for config in configs:
        if set(listed.get(config.name, ())) != TOOL_NAMES:
            problems.append(f"{config.name}: listed {listed.get(config.name)}")
        for call in config.calls:
            where = f"{config.name} / {call.label}"
            result = results.get((config.name, call.label))
            if result is None:
                problems.append(f"{where}: no result")
            elif result["threw"]:
                problems.append(f"{where}: the SDK threw: {result['threw']}")
            elif result["isError"] is not call.is_error or call.phrase not in result["text"]:
                problems.append(
                    f"{where}: expected is_error={call.is_error} and {call.phrase!r}; got "
                    f"is_error={result['isError']}, {result['text']!r}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("transport", ["stdio", "streamable-http"])
def test_the_typescript_sdk_sees_every_answer(
    transport: str, sandbox: SandboxProcess, tmp_path: Path
) -> None:
    node = _node_or_skip()
    plan = configs(sandbox)
    # A new tool must join the plan: every tool is driven on every path it has.
    assert {call.tool for call in plan[0].calls} == TOOL_NAMES
    if transport == "stdio":
        lines = drive(node, _stdio_servers(plan), tmp_path)
    else:
        with http_servers(plan, tmp_path) as servers:
            lines = drive(node, servers, tmp_path)
    check(plan, lines)
