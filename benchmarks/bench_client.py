"""1. ``BctrlClient.cancel_invocation`` against a raw pooled httpx POST + ``.json()``.

Both keep one connection alive and parse the JSON answer; ours also builds the request
from the protocol, adds the auth header through an ``httpx.Auth``, checks the status
and validates the record into the ``Invocation`` model. That extra is what the ratio
shows, most plainly against the canned server.
"""

from __future__ import annotations

import httpx

from bctrl_tools import BctrlClient
from benchmarks.baselines import cycling, raw_cancel
from benchmarks.results import Comparison, Goal, Section
from benchmarks.servers import KINDS, Servers, Target
from benchmarks.timing import Samples, interleave

GOAL = Goal("ratio_at_most", 1.20)

EXPLANATION = """\
Per call, on one keep-alive connection each, interleaved batches (ABBA order); the
ratio is the median of the per-round ratios. Against the canned server nearly all
of the time is client-side, so the ratio there is the honest measure of what the
typed client adds on top of httpx (request building, auth flow, status check,
pydantic validation of the ~1 KB record). Against the sandbox the server's own work
(starlette routing, SQLite update) is added to both sides and the ratio shrinks."""


FINDINGS = """\
Profiled (cProfile diff of both loops, then perf_counter wrappers): besides httpx's own
send, ours spent ~90 µs building the request (a new `httpx.Timeout` per call, the id
check) and ~60 µs parsing where `.json()` takes ~16 µs (`Protocol.parse` decoded
`response.text`, whose charset httpx parses with `email.message`, then `json.loads`, then
validated the dict). Fixed in `bctrl_tools/_protocol.py` (commit "Per-call and import
costs found by the benchmarks"): the record is validated from the bytes in one
pydantic-core pass (`Invocation.model_validate_json(response.content)`), the slow path
only explains a bad body; the `httpx.Timeout` is built once; a plain UUID id passes one
regex. Before: 1.14-1.16x (canned), 1.13-1.14x (sandbox); after: the table above."""


def _measure(target: Target, rounds: int, batch: int) -> Samples:
    with (
        BctrlClient(api_key=target.api_key, base_url=target.base_url) as ours,
        httpx.Client() as http,
    ):
        ours_id, raw_id = cycling(target.ids), cycling(target.ids)
        return interleave(
            {
                "ours": lambda: ours.cancel_invocation(ours_id()),
                "raw": lambda: raw_cancel(http, target, raw_id()),
            },
            rounds=rounds,
            batch=batch,
        )


def run(servers: Servers, quick: bool) -> Section:
    section = Section("client", "1. Client call vs raw httpx", explanation=EXPLANATION)
    section.findings = FINDINGS
    rounds, batch = (7, 30) if quick else (41, 50)
    for kind in KINDS:
        target = servers.target(kind)
        samples = _measure(target, rounds, batch)
        section.comparisons.append(
            Comparison.of(
                "cancel_invocation, per call",
                target.label,
                ("BctrlClient.cancel_invocation", samples["ours"]),
                ("httpx.Client.post + .json()", samples["raw"]),
                unit="µs",
                scale=1e6,
                samples=f"{rounds}x{batch} calls",
                goal=GOAL,
            )
        )
    return section
