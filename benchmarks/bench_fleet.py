"""8. What the shared cancel budget (``BCTRL_STATE_URL``) adds per cancel.

Ours: ``Operations.acancel`` / ``Operations.cancel`` with the budget counted in a local
redis-server (one Lua script per cancel, with and without a window). Baseline: the same
call with the budget counted in the process, as without ``BCTRL_STATE_URL``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import redis

from bctrl_tools import AsyncBctrlClient, BctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.redis_store import BUDGET_KEY, WINDOW_KEY
from benchmarks.baselines import cycling
from benchmarks.results import Comparison, Goal, Section
from benchmarks.servers import Servers, Target
from benchmarks.timing import Samples, ainterleave, interleave
from tests.fleet.redis_server import MISSING, RedisServer, redis_server_path

# A budget nobody reaches, so every call takes one and sends its cancel.
LIMIT = 10**9
WINDOW = 3600.0
GOAL = Goal("delta_at_most", 1.0)

EXPLANATION = f"""\
Per cancel against the canned server (no server-side work, so the client's own cost
shows), interleaved batches (ABBA order), one keep-alive connection to bctrl and one to
Redis each. The budget is {LIMIT:,} cancels, so every call takes budget and sends. The
shared budget runs one Lua script on a redis-server on this machine (started for the
run, nothing on disk): a counter without a window, a sorted set trimmed to the window
with it. The difference is one loopback round trip to Redis plus redis-py's command
building; across machines add your network's round trip. The goal: at most +{GOAL.limit:g}
ms per cancel."""


def _rails(url: str | None, window: float | None) -> Guardrails:
    return Guardrails(max_cancels=LIMIT, max_cancels_window=window, state_url=url)


async def _measure_async(target: Target, url: str, rounds: int, batch: int) -> Samples:
    async with AsyncBctrlClient(api_key=target.api_key, base_url=target.base_url) as client:
        cases = {
            "process": Operations(async_client=client, guardrails=_rails(None, None)),
            "redis": Operations(async_client=client, guardrails=_rails(url, None)),
            "redis window": Operations(async_client=client, guardrails=_rails(url, WINDOW)),
        }
        ids = {name: cycling(target.ids) for name in cases}
        try:
            return await ainterleave(
                {name: _acancel(ops, ids[name]) for name, ops in cases.items()},
                rounds=rounds,
                batch=batch,
            )
        finally:
            for ops in cases.values():
                await ops.aclose()


def _acancel(ops: Operations, next_id: Callable[[], str]) -> Callable[[], Awaitable[object]]:
    async def call() -> object:
        return await ops.acancel(next_id())

    return call


def _cancel(ops: Operations, next_id: Callable[[], str]) -> Callable[[], object]:
    return lambda: ops.cancel(next_id())


def _measure_sync(target: Target, url: str, rounds: int, batch: int) -> Samples:
    with BctrlClient(api_key=target.api_key, base_url=target.base_url) as client:
        cases = {
            "process": Operations(client=client, guardrails=_rails(None, None)),
            "redis": Operations(client=client, guardrails=_rails(url, None)),
        }
        ids = {name: cycling(target.ids) for name in cases}
        try:
            return interleave(
                {name: _cancel(ops, ids[name]) for name, ops in cases.items()},
                rounds=rounds,
                batch=batch,
            )
        finally:
            for ops in cases.values():
                ops.close()


def run(servers: Servers, quick: bool) -> Section:
    section = Section("fleet", "8. Shared cancel budget: Redis vs in process")
    section.explanation = EXPLANATION
    if redis_server_path() is None:
        section.skipped = MISSING
        return section
    target = servers.target("canned")
    rounds, batch = (3, 50) if quick else (15, 200)
    with RedisServer() as server:
        async_samples = asyncio.run(_measure_async(target, server.url, rounds, batch))
        sync_samples = _measure_sync(target, server.url, rounds, batch)
        with redis.Redis.from_url(server.url) as check:
            counted = int(check.get(BUDGET_KEY) or 0)
            in_window = check.zcard(WINDOW_KEY)
        section.notes.append(
            f"cancels counted in Redis during the run: {counted} (no window), "
            f"{in_window} (1h window); 0 would mean the budget was not taken there"
        )
    samples = f"{rounds}x{batch} cancels"
    for label, name, measured in (
        ("Operations.acancel", "redis", async_samples),
        ("Operations.acancel, 1h window", "redis window", async_samples),
        ("Operations.cancel (sync)", "redis", sync_samples),
    ):
        section.comparisons.append(
            Comparison.of(
                f"{label}, budget in Redis",
                target.label,
                (f"BCTRL_STATE_URL ({name})", measured[name]),
                ("budget in process", measured["process"]),
                unit="ms",
                scale=1000.0,
                samples=samples,
                goal=GOAL,
            )
        )
    for comparison in section.comparisons:
        section.notes.append(
            f"{comparison.what}: +{comparison.delta:.3f} ms per cancel, "
            f"{comparison.ratio:.2f}x the in-process budget's call"
        )
    return section
