"""Status, progress and timing of an invocation, derived from its stored plan.

Timeline of an invocation that is not cancelled:

    created ── queued ── dispatch ── dispatching ── started ── running ── ends → outcome

A cancel request at time C (only accepted while live, i.e. C < ends) stops the
plan: the invocation is `cancelling` from C and `cancelled` from C + grace.
"""

from __future__ import annotations

from dataclasses import dataclass

from bctrl_tools.sandbox.invocation import JsonObject, StoredInvocation

LIVE_STATUSES = frozenset({"queued", "dispatching", "running", "cancelling"})
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "timed_out"})
OUTCOMES = ("succeeded", "failed", "timed_out")

# A real runtime heartbeats every few seconds; one second keeps short test runs
# showing advancing heartbeats.
HEARTBEAT_MS = 1000
# Queue and dispatch each take 5% of the run, at most 250 ms, so short runs
# still pass through every live status.
PHASE_SHARE = 0.05
PHASE_CAP_MS = 250


@dataclass(frozen=True)
class Timeline:
    dispatch_ms: int
    started_ms: int
    ends_ms: int


def plan_timeline(created_ms: int, run_ms: int) -> Timeline:
    phase_ms = min(PHASE_CAP_MS, int(run_ms * PHASE_SHARE))
    return Timeline(created_ms + phase_ms, created_ms + 2 * phase_ms, created_ms + run_ms)


def status_at(inv: StoredInvocation, now: int) -> str:
    if inv.cancelled_ms is not None:
        return "cancelled" if now >= inv.cancelled_ms else "cancelling"
    if now >= inv.ends_ms:
        return inv.outcome
    if now >= inv.started_ms:
        return "running"
    return "dispatching" if now >= inv.dispatch_ms else "queued"


def finished_ms(inv: StoredInvocation) -> int:
    """When the invocation becomes (or became) terminal."""
    return inv.cancelled_ms if inv.cancelled_ms is not None else inv.ends_ms


def work_stopped_ms(inv: StoredInvocation) -> int:
    """When steps stop advancing: the cancel request, or the natural end."""
    return inv.cancel_requested_ms if inv.cancel_requested_ms is not None else inv.ends_ms


def has_started(inv: StoredInvocation, now: int) -> bool:
    """Whether the runtime ever began executing steps (a queued cancel never starts)."""
    if inv.started_ms > now:
        return False
    return inv.cancel_requested_ms is None or inv.started_ms < inv.cancel_requested_ms


def completed_steps(inv: StoredInvocation, at: int) -> int:
    """How many steps had finished at instant `at` (which is clamped to the stop)."""
    total = len(inv.steps)
    at = min(at, work_stopped_ms(inv))
    if at < inv.started_ms:
        return 0
    if inv.cancel_requested_ms is None and at >= inv.ends_ms:
        # A failed or timed-out run never finishes its last step.
        return total if inv.outcome == "succeeded" else total - 1
    run_ms = max(1, inv.ends_ms - inv.started_ms)
    return min(total - 1, (at - inv.started_ms) * total // run_ms)


def last_heartbeat_ms(inv: StoredInvocation, now: int) -> int | None:
    if not has_started(inv, now):
        return None
    beat_until = min(now, work_stopped_ms(inv))
    if inv.heartbeat_stop_ms is not None:
        # Never before the start: the first heartbeat is the start itself.
        beat_until = max(inv.started_ms, min(beat_until, inv.heartbeat_stop_ms))
    return inv.started_ms + (beat_until - inv.started_ms) // HEARTBEAT_MS * HEARTBEAT_MS


def duration_ms(inv: StoredInvocation, now: int) -> int | None:
    if status_at(inv, now) not in TERMINAL_STATUSES:
        return None
    began = inv.started_ms if has_started(inv, now) else inv.created_ms
    return finished_ms(inv) - began


def progress_at(inv: StoredInvocation, now: int) -> JsonObject | None:
    status = status_at(inv, now)
    if status in TERMINAL_STATUSES:
        return None
    at = min(now, work_stopped_ms(inv))
    step = completed_steps(inv, at) + 1 if has_started(inv, at) else 0
    call = inv.steps[max(step, 1) - 1]["call"]
    event_type, message = _progress_event(inv, status, step, call)
    return {
        "step": step,
        "totalSteps": len(inv.steps),
        "currentCall": call,
        "lastEventType": event_type,
        "message": message,
    }


def _progress_event(inv: StoredInvocation, status: str, step: int, call: str) -> tuple[str, str]:
    if status == "queued":
        return "invocation.queued", "Waiting for a browser runtime slot"
    if status == "dispatching":
        return "invocation.dispatching", f"Dispatching to runtime {inv.runtime_id}"
    if status == "cancelling":
        return "invocation.cancel_requested", "Cancellation requested; stopping the runtime"
    return "step.started", f"Running step {step} of {len(inv.steps)}: {call}"
