"""Work created at start-up with `--seed N`: one run for a demo to supervise.

The run holds N healthy invocations and, so that runaway detection has something
real to find, one that has been running for 20 minutes and one whose heartbeat
stopped 4 minutes ago while it still claims to be running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bctrl_tools.sandbox.config import SANDBOX_RUNTIME_ID
from bctrl_tools.sandbox.service import InvocationService
from bctrl_tools.sandbox.validation import parse_create

SEED_STEPS = [
    {"call": "page.goto", "args": ["https://example.com/pricing"], "bind": "pricing"},
    {"call": "page.click", "args": ["text=Compare plans"]},
    {"call": "page.extract", "args": [{"selector": "table.plans"}]},
]
_MINUTE_MS = 60_000
# Both runaways would go on for hours; only a cancel ends them in a demo.
_RUNAWAY_RUN_SECONDS = 4 * 3600
LONG_RUNNING_AGE_MS = 20 * _MINUTE_MS
STALE_AGE_MS = 5 * _MINUTE_MS
STALE_HEARTBEAT_AFTER_SECONDS = 60


@dataclass(frozen=True)
class SeededRun:
    run_id: str
    healthy_ids: list[str]
    long_running_id: str
    stale_heartbeat_id: str


def seed_run(service: InvocationService, count: int) -> SeededRun | None:
    """Create `count` healthy invocations and the two runaways on the sandbox runtime."""
    if count == 0:
        return None
    healthy = [_create(service, {"seedIndex": index}) for index in range(count)]
    long_running = _create(
        service,
        {"seedKind": "long_running"},
        age_ms=LONG_RUNNING_AGE_MS,
        runSeconds=_RUNAWAY_RUN_SECONDS,
    )
    stale = _create(
        service,
        {"seedKind": "stale_heartbeat"},
        age_ms=STALE_AGE_MS,
        runSeconds=_RUNAWAY_RUN_SECONDS,
        heartbeatStopsAfterSeconds=STALE_HEARTBEAT_AFTER_SECONDS,
    )
    return SeededRun(
        run_id=str(long_running["runId"]),
        healthy_ids=[str(record["id"]) for record in healthy],
        long_running_id=str(long_running["id"]),
        stale_heartbeat_id=str(stale["id"]),
    )


def _create(
    service: InvocationService, metadata: dict[str, Any], *, age_ms: int = 0, **options: Any
) -> dict[str, Any]:
    body = {"steps": SEED_STEPS, "metadata": {"seeded": True, **metadata}, **options}
    record, _ = service.create(parse_create(SANDBOX_RUNTIME_ID, body), age_ms=age_ms)
    return record
