"""5. Cancelling 200 invocations at 20 ms server latency.

Ours: ``Operations.acancel_many`` (what the ``cancel_invocations`` tool runs), 16 in
flight by default, every guardrail and an outcome per id. Baselines: the vendor
snippet in a loop (one ``requests.post`` after another), and the least a concurrent
client can do, a 16-wide ``asyncio.gather`` of pooled httpx POSTs.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from bctrl_tools import AsyncBctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from benchmarks.baselines import raw_gather, vendor_cancel
from benchmarks.results import Comparison, Goal, Section
from benchmarks.servers import KINDS, Servers, Target
from benchmarks.timing import arounds_of

LATENCY_MS = 20
N_IDS = 200
WIDTH = 16
VS_VENDOR = Goal("speedup_at_least", 5.0)
VS_GATHER = Goal("ratio_at_most", 1.25)

EXPLANATION = f"""\
Each sample is one whole batch of {N_IDS} cancels; the servers wait {LATENCY_MS} ms before
every answer (`SandboxProcess(latency_ms={LATENCY_MS})`, `canned.py --delay-ms
{LATENCY_MS}`), standing in for the network and bctrl's own work. The sequential
snippet needs at least {N_IDS} x {LATENCY_MS} ms = {N_IDS * LATENCY_MS / 1000:g} s; 16 in
flight need at least {-(-N_IDS // WIDTH)} x {LATENCY_MS} ms = {-(-N_IDS // WIDTH) * LATENCY_MS}
ms. `acancel_many` uses `BCTRL_CONCURRENCY`'s default of 16, the same width as the
gather baseline, so the ratio to the gather is the cost of the guardrails, the audit
log and one `CancelOutcome` per id. The first round cancels the sandbox's running
invocations; later rounds cancel them again, which the sandbox answers unchanged
(`already_finished`), the same work for every side."""


async def _measure(
    target: Target, quick: bool, outcomes: list[dict[str, int]]
) -> dict[str, list[float]]:
    ids = target.ids[:N_IDS]
    async with (
        AsyncBctrlClient(api_key=target.api_key, base_url=target.base_url) as client,
        httpx.AsyncClient() as http,
    ):
        ops = Operations(async_client=client, guardrails=Guardrails())

        async def ours(_: int) -> float:
            start = time.perf_counter()
            batch = await ops.acancel_many(ids)
            elapsed = time.perf_counter() - start
            outcomes.append(batch.counts)
            return elapsed

        async def gather(_: int) -> float:
            start = time.perf_counter()
            await raw_gather(http, target, ids, WIDTH)
            return time.perf_counter() - start

        async def vendor(_: int) -> float:
            # Blocks the loop on purpose: the snippet is synchronous, and nothing else runs.
            start = time.perf_counter()
            for invocation_id in ids:
                vendor_cancel(target, invocation_id)
            return time.perf_counter() - start

        await ours(0)  # warm-up: opens the pools' connections
        await gather(0)
        rounds = {"ours": 3, "gather": 3, "vendor": 1} if quick else {
            "ours": 9, "gather": 9, "vendor": 3
        }  # fmt: skip
        return await arounds_of({"ours": ours, "gather": gather, "vendor": vendor}, rounds=rounds)


def run(servers: Servers, quick: bool) -> Section:
    section = Section("batch", "5. Batch cancel of 200 ids at 20 ms latency")
    section.explanation = EXPLANATION
    for kind in KINDS:
        target = servers.target(kind, latency_ms=LATENCY_MS, ids=N_IDS)
        outcomes: list[dict[str, int]] = []
        samples = asyncio.run(_measure(target, quick, outcomes))
        section.notes.append(
            f"{target.label}: outcomes of the first batch {outcomes[0]}, of the last {outcomes[-1]}"
        )
        runs = {name: len(values) for name, values in samples.items()}
        ours = ("Operations.acancel_many", samples["ours"])
        section.comparisons += [
            Comparison.of(
                f"{N_IDS} cancels, whole batch",
                target.label,
                ours,
                ("requests.post, sequential", samples["vendor"]),
                unit="s",
                scale=1.0,
                samples=f"{runs['ours']} vs {runs['vendor']} batches",
                goal=VS_VENDOR,
            ),
            Comparison.of(
                f"{N_IDS} cancels, whole batch",
                target.label,
                ours,
                (f"httpx gather, {WIDTH} wide", samples["gather"]),
                unit="s",
                scale=1.0,
                samples=f"{runs['ours']} batches each",
                goal=VS_GATHER,
            ),
        ]
    return section
