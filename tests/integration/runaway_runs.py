"""Runs on the sandbox with real runaway work: one invocation past its time, one silent.

Ages cannot be faked over HTTP, so the thresholds are seconds: ``RULES`` flags the old
one (running longer than 2 s) and the stalled one (no heartbeat for 1 s), never the
fresh healthy ones.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from bctrl_tools.sandbox.process import SandboxProcess

RULES = {"running_longer_than_seconds": 2, "heartbeat_older_than_seconds": 1}
# Long enough that only a cancel ends them during a test.
_RUN_SECONDS = 120


@dataclass(frozen=True)
class RunawayRun:
    run_id: str
    anchor_id: str  # a healthy invocation of the run: the supervisor's own, say
    old_id: str
    stalled_id: str
    healthy_ids: list[str]

    @property
    def runaway_ids(self) -> set[str]:
        return {self.old_id, self.stalled_id}


def make_runaway_runs(sandbox: SandboxProcess, n: int) -> list[RunawayRun]:
    """``n`` such runs, each in its own runtime, sharing one wait for the ages to grow."""
    olds = [
        sandbox.create_invocation(runtime_id=str(uuid.uuid4()), run_seconds=_RUN_SECONDS)
        for _ in range(n)
    ]
    time.sleep(1.0)
    stalled = [
        sandbox.create_invocation(
            runtime_id=old["runtimeId"],
            run_seconds=_RUN_SECONDS,
            heartbeat_stops_after_seconds=0,
        )["id"]
        for old in olds
    ]
    time.sleep(2.0)  # the old ones pass 2 s of running, the stalled ones 1 s of silence
    runs = []
    for old, stalled_id in zip(olds, stalled, strict=True):
        healthy = sandbox.create_invocations(
            2, runtime_id=old["runtimeId"], run_seconds=_RUN_SECONDS
        )
        runs.append(RunawayRun(old["runId"], healthy[0], old["id"], stalled_id, healthy))
    return runs
