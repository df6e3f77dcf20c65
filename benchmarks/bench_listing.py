"""9. Listing a run of 500 invocations: the client's paging, and the tool's bounded views.

Ours: ``BctrlClient.list_run_invocations(run_id, limit=500)`` (5 pages of 100, each
validated into ``Invocation`` models, the status filter applied again on our side).
Baseline: the least a client can do, a loop of pooled httpx GETs following
``nextCursor`` and calling ``.json()``. Then the characters of each host view of
``list_invocations`` over the same run, against the 40,000 the tool promises.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from bctrl_tools import BctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.run_report import VIEW_LIMIT
from bctrl_tools.runaway import RunawayRules
from bctrl_tools.sandbox.process import create_invocations
from bctrl_tools.settings import ClientSettings
from benchmarks.results import Comparison, Goal, Section
from benchmarks.servers import Servers, Target
from benchmarks.timing import interleave

N_INVOCATIONS = 500
PAGE = 100
GOAL = Goal("ratio_at_most", 1.5)

EXPLANATION = f"""\
A run of {N_INVOCATIONS} live invocations on the sandbox; each sample lists all of them,
{N_INVOCATIONS // PAGE} pages of {PAGE}, on one keep-alive connection per side,
interleaved (ABBA). The ratio is what the typed client adds to raw paging: the query
built from the protocol, the tolerant envelope, one pydantic `Invocation` per item and
the pager's own status filter and caps. The notes give the characters of each host view
of `list_invocations` with `limit=500` (no filter, then a filter every item matches):
the structured result's JSON (what Claude Code shows) and the text (what
content-first hosts and LangChain's `ToolMessage.content` show)."""


def _make_run(target: Target) -> str:
    runtime_id = str(uuid.uuid4())
    with httpx.Client(timeout=30.0) as http:
        ids = create_invocations(
            target.base_url, target.api_key, N_INVOCATIONS, runtime_id=runtime_id, client=http
        )
        response = http.get(f"{target.base_url}/v1/invocations/{ids[0]}", headers=target.headers)
    run_id: str = response.json()["runId"]
    return run_id


def _raw_list(http: httpx.Client, target: Target, run_id: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
        url = f"{target.base_url}/v1/runs/{run_id}/commands"
        body = http.get(url, params=params, headers=target.headers).json()
        items += body["commands"]
        cursor = body.get("nextCursor")
        if not cursor:
            return items


def _views(target: Target, run_id: str) -> list[str]:
    settings = ClientSettings(api_key=target.api_key, base_url=target.base_url)
    ops = Operations(settings=settings, guardrails=Guardrails())
    notes = []
    try:
        for label, minimum in (("no filter", 0), ("all match", 1)):
            rules = RunawayRules(min_steps=minimum or None)
            result = ops.list_invocations(run_id, limit=N_INVOCATIONS, rules=rules)
            structured = json.dumps(result.model_dump(mode="json"), separators=(",", ":"))
            notes.append(
                f"list_invocations, {N_INVOCATIONS} items, {label}: structured JSON "
                f"{len(structured):,} chars (~{len(structured) // 4:,} tokens), text "
                f"{len(result.message):,} chars; {len(result.items)} rows + "
                f"{len(result.other_ids)} ids only; limit {VIEW_LIMIT:,}"
            )
    finally:
        ops.close()
    return notes


def run(servers: Servers, quick: bool) -> Section:
    section = Section("listing", "9. Listing a run of 500 invocations", explanation=EXPLANATION)
    target = servers.target("sandbox", ids=0)
    run_id = _make_run(target)
    rounds, batch = (5, 2) if quick else (15, 4)
    with (
        BctrlClient(api_key=target.api_key, base_url=target.base_url) as ours,
        httpx.Client() as http,
    ):
        samples = interleave(
            {
                "ours": lambda: list(ours.list_run_invocations(run_id, limit=N_INVOCATIONS)),
                "raw": lambda: _raw_list(http, target, run_id),
            },
            rounds=rounds,
            batch=batch,
        )
    section.comparisons.append(
        Comparison.of(
            f"list {N_INVOCATIONS} invocations ({N_INVOCATIONS // PAGE} pages)",
            target.label,
            ("BctrlClient.list_run_invocations", samples["ours"]),
            ("httpx GET loop + .json()", samples["raw"]),
            unit="ms",
            scale=1e3,
            samples=f"{rounds}x{batch} listings",
            goal=GOAL,
        )
    )
    section.notes += _views(target, run_id)
    return section
