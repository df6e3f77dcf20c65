"""4. The MCP server: start-up, resident memory, and per-call overhead, over stdio.

Start-up and memory are measured against ``benchmarks/mcp_baseline.py``, a bare
``MCPServer`` with one trivial tool: what any server built on the SDK pays. The per-call
overhead is an MCP ``call_tool("get_invocation")`` round trip through ``python -m
mcp_server`` minus a direct ``AsyncBctrlClient.get_invocation`` to the same HTTP server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio

from benchmarks.baselines import cycling
from benchmarks.importtime import extra_by_package
from benchmarks.results import Comparison, Goal, Section
from benchmarks.servers import KINDS, Servers, Target
from benchmarks.timing import ainterleave

ROOT = Path(__file__).resolve().parent.parent
OURS_ARGS = ["-m", "mcp_server"]
BASELINE_ARGS = ["-m", "benchmarks.mcp_baseline"]
START_GOAL = Goal("ratio_at_most", 1.15)
RSS_GOAL = Goal("ratio_at_most", 1.15)
CALL_GOAL = Goal("delta_at_most", 2.5)

EXPLANATION = """\
**Start-up**: from spawning `python -m mcp_server` (or the baseline) to the SDK's stdio
`Client` having finished the handshake (the `Client` default, `mode="auto"`), server
stderr discarded; the two servers alternate. **Memory**: `VmRSS` of the server process
(from `/proc/<pid>/status`) right after the handshake and one `list_tools`. Both are
dominated by the interpreter and the MCP SDK (with its pydantic, starlette, anyio and
httpx2), which the baseline loads too; what is ours is `bctrl_tools` (client, models,
operations, specs), httpx for the client, the tools' JSON schemas and the client's
connection pool. **Per call**: one long-lived stdio
session, `call_tool("get_invocation", {"invocation_id": ...})`, interleaved with
direct `await AsyncBctrlClient.get_invocation(...)` calls against the same HTTP server;
the difference is what MCP adds per call: JSON-RPC over two pipes, the server's
dispatch, the spec's parsing and result (text and structured content), and the
client's parsing of the result."""


FINDINGS = """\
Start-up, profiled with `-X importtime` and timers around `create_server` (~5 ms, not the
cause): (1) the lifespan in `mcp_server/lifespan.py` creates the process's one
`AsyncBctrlClient` (an `httpx.AsyncClient`, whose TLS context loads certifi's CA bundle:
~30-40 ms, see the note) before the server reads `initialize`; (2) the server imports
httpx, and with it httpx's optional CLI (`rich`, `pygments`), which the baseline does not
load (mcp 2.x uses httpx2), and `bctrl_tools`, whose 16 record models were built at
import. Fixed: the record models defer building their validators to first use, and the
core imports asyncio only when an async retry sleeps (benchmark 6). Not done: creating
the client lazily on the first tool call (start-up about 1.09x), because the MCP issue
asks for the client to be created in the lifespan. Before: start-up 1.14-1.18x,
RSS 74.9 MiB (1.11x); after: the table above."""


def _first_client_ms(runs: int) -> float:
    """Creating the first ``AsyncBctrlClient`` in a fresh process (its TLS context), median."""
    code = (
        "import time, bctrl_tools; start = time.perf_counter(); "
        "bctrl_tools.AsyncBctrlClient(api_key='k'); print(time.perf_counter() - start)"
    )
    times = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True, cwd=ROOT).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return sorted(times)[runs // 2] * 1e3


def _child_pid(marker: str) -> int | None:
    """Our child process whose command line contains ``marker``."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it exited meanwhile
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == me and marker in cmdline:
            return int(entry.name)
    return None


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _environment(target: Target) -> dict[str, str]:
    return {"BCTRL_API_KEY": target.api_key, "BCTRL_BASE_URL": target.base_url}


async def _session(stack: AsyncExitStack, args: list[str], env: dict[str, str]) -> Any:
    """An initialized MCP client session with a server spawned over stdio."""
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=ROOT)
    errlog = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - closed by the stack
    return await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))


async def _start_once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to initialized, and the server's RSS in MiB after list_tools."""
    async with AsyncExitStack() as stack:
        start = time.perf_counter()
        client = await _session(stack, args, env)
        elapsed = time.perf_counter() - start
        await client.list_tools()
        pid = _child_pid(args[-1])
        if pid is None:
            raise RuntimeError(f"cannot find the server process for {args}")
        return elapsed, _rss_mib(pid)


async def _startups(target: Target, rounds: int) -> dict[str, list[tuple[float, float]]]:
    env = _environment(target)
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "baseline": []}
    await _start_once(OURS_ARGS, env)  # warm-up: the page cache and the .pyc files
    await _start_once(BASELINE_ARGS, env)
    for round_no in range(rounds):
        order = ["ours", "baseline"] if round_no % 2 == 0 else ["baseline", "ours"]
        for name in order:
            args = OURS_ARGS if name == "ours" else BASELINE_ARGS
            runs[name].append(await _start_once(args, env))
    return runs


async def _per_call(target: Target, rounds: int, batch: int) -> dict[str, list[float]]:
    from bctrl_tools import AsyncBctrlClient

    async with AsyncExitStack() as stack:
        session = await _session(stack, OURS_ARGS, _environment(target))
        direct = await stack.enter_async_context(
            AsyncBctrlClient(api_key=target.api_key, base_url=target.base_url)
        )
        mcp_id, direct_id = cycling(target.ids), cycling(target.ids)
        first = await session.call_tool("get_invocation", {"invocation_id": target.ids[0]})
        if first.is_error:
            raise RuntimeError(f"get_invocation over MCP failed: {first.content}")

        async def over_mcp() -> object:
            return await session.call_tool("get_invocation", {"invocation_id": mcp_id()})

        async def direct_call() -> object:
            return await direct.get_invocation(direct_id())

        cases: dict[str, Callable[[], Awaitable[object]]] = {
            "mcp": over_mcp,
            "direct": direct_call,
        }
        return await ainterleave(cases, rounds=rounds, batch=batch)


def run(servers: Servers, quick: bool) -> Section:
    title = "4. MCP server: start-up, memory, per-call overhead"
    try:
        import mcp.client  # noqa: F401

        import mcp_server  # noqa: F401
    except ImportError as exc:
        return Section("mcp", title, skipped=f"the MCP server is not importable: {exc}")
    section = Section("mcp", title, explanation=EXPLANATION, findings=FINDINGS)
    canned = servers.target("canned")
    start_rounds = 3 if quick else 9
    starts = anyio.run(_startups, canned, start_rounds)
    ours, base = "python -m mcp_server", "bare MCPServer, 1 tool"
    samples = f"{start_rounds} starts each"
    section.comparisons += [
        Comparison.of(
            "stdio start-up to initialized",
            "-",
            (ours, [seconds for seconds, _ in starts["ours"]]),
            (base, [seconds for seconds, _ in starts["baseline"]]),
            unit="ms",
            scale=1e3,
            samples=samples,
            goal=START_GOAL,
        ),
        Comparison.of(
            "server RSS after list_tools",
            "-",
            (ours, [rss for _, rss in starts["ours"]]),
            (base, [rss for _, rss in starts["baseline"]]),
            unit="MiB",
            scale=1.0,
            samples=samples,
            goal=RSS_GOAL,
        ),
    ]
    section.notes += [
        "the server imports (-X importtime, self times, one run) "
        + extra_by_package("import mcp_server.__main__", "import benchmarks.mcp_baseline"),
        f"creating the first `AsyncBctrlClient` in a process (an `httpx.AsyncClient`, whose "
        f"TLS context loads the CA bundle) takes {_first_client_ms(3 if quick else 7):.0f} ms",
    ]
    rounds, batch = (5, 10) if quick else (21, 20)
    for kind in KINDS:
        target = servers.target(kind)
        calls = anyio.run(_per_call, target, rounds, batch)
        section.comparisons.append(
            Comparison.of(
                "get_invocation, per call",
                target.label,
                ("MCP stdio call_tool", calls["mcp"]),
                ("AsyncBctrlClient direct", calls["direct"]),
                unit="ms",
                scale=1e3,
                samples=f"{rounds}x{batch} calls",
                goal=CALL_GOAL,
            )
        )
    return section
