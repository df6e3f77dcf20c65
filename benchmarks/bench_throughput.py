"""7. How many cancels a second the sandbox serves to 16 concurrent clients.

16 asyncio workers, each with its own ``httpx.AsyncClient`` (one keep-alive connection
apiece), cancel in a closed loop for a fixed time. The same load against the canned
server shows what this load generator can push at all; the CPU each process used
shows which side is saturated.
"""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from benchmarks.baselines import cycling
from benchmarks.results import Comparison, Section
from benchmarks.servers import Kind, Servers, Target
from benchmarks.timing import median

CLIENTS = 16
_TICKS = os.sysconf("SC_CLK_TCK")

EXPLANATION = f"""\
Each sample is a {{seconds:g}} s closed-loop run of {CLIENTS} clients; samples alternate
between the two servers. "CPU" is the share of one core a process used during the
runs (from `/proc/<pid>/stat` for a server, `time.process_time()` for the load
generator). A server near 100 % is the bottleneck; if instead the load generator
is near 100 % while the server has headroom, the number is a floor on what the server
can do. On this 2-core machine the load generator and the server each have one core
(when other tenants leave them). The server's CPU per cancel gives its capacity: what one
core would serve if the load generator could keep it busy."""


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        # Fields after the parenthesised command name; utime and stime are 14th and 15th.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


async def _closed_loop(target: Target, seconds: float) -> tuple[float, float, float]:
    """Requests per second, then the server's and the load generator's CPU share."""
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1)) for _ in range(CLIENTS)]
    done = 0
    try:
        for client in clients:  # connect before the clock starts
            await client.post(target.cancel_url(target.ids[0]), json={}, headers=target.headers)
        stop = time.perf_counter() + seconds

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal done
            next_id = cycling(target.ids)
            while time.perf_counter() < stop:
                url = target.cancel_url(next_id())
                (await client.post(url, json={}, headers=target.headers)).json()
                done += 1

        server_before, ours_before = _cpu_seconds(target.pid), time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in clients))
        elapsed = time.perf_counter() - start
        server_cpu = (_cpu_seconds(target.pid) - server_before) / elapsed
        ours_cpu = (time.process_time() - ours_before) / elapsed
    finally:
        for client in clients:
            await client.aclose()
    return done / elapsed, server_cpu, ours_cpu


def run(servers: Servers, quick: bool) -> Section:
    seconds, rounds = (1.0, 2) if quick else (2.5, 5)
    section = Section("throughput", "7. Sandbox throughput")
    section.explanation = EXPLANATION.format(seconds=seconds)
    kinds: tuple[Kind, Kind] = ("sandbox", "canned")
    targets = {kind: servers.target(kind, ids=256) for kind in kinds}
    rate: dict[Kind, list[float]] = {kind: [] for kind in kinds}
    server_cpu: dict[Kind, list[float]] = {kind: [] for kind in kinds}
    ours_cpu: dict[Kind, list[float]] = {kind: [] for kind in kinds}
    for kind in kinds:
        asyncio.run(_closed_loop(targets[kind], 0.5))  # warm-up
    for round_no in range(rounds):
        for kind in kinds if round_no % 2 == 0 else kinds[::-1]:
            per_second, server, ours = asyncio.run(_closed_loop(targets[kind], seconds))
            rate[kind].append(per_second)
            server_cpu[kind].append(server)
            ours_cpu[kind].append(ours)
    section.comparisons.append(
        Comparison.of(
            f"cancels/s, {CLIENTS} keep-alive clients",
            "sandbox vs canned",
            ("sandbox", rate["sandbox"]),
            ("canned server", rate["canned"]),
            unit="req/s",
            scale=1.0,
            samples=f"{rounds}x{seconds:g} s each",
        )
    )
    for kind in kinds:
        per_request = median([c / r for c, r in zip(server_cpu[kind], rate[kind], strict=True)])
        section.notes.append(
            f"{kind}: server CPU {median(server_cpu[kind]) * 100:.0f} % of a core, load "
            f"generator CPU {median(ours_cpu[kind]) * 100:.0f} %; the server spent "
            f"{per_request * 1e6:.0f} µs of CPU per cancel, so one core of it would serve "
            f"about {1 / per_request:,.0f} cancels/s"
        )
    return section
