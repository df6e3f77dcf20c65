"""Render a stored invocation as the public record (`invocations_cancel_Response_200`)."""

from __future__ import annotations

from bctrl_tools.sandbox.clock import iso_ms, iso_or_none
from bctrl_tools.sandbox.invocation import JsonObject, StoredInvocation
from bctrl_tools.sandbox.lifecycle import (
    TERMINAL_STATUSES,
    completed_steps,
    duration_ms,
    finished_ms,
    has_started,
    last_heartbeat_ms,
    progress_at,
    status_at,
)
from bctrl_tools.sandbox.outcomes import error_for, result_for


def render_record(inv: StoredInvocation, now: int) -> JsonObject:
    """Every property of the schema, null where it does not apply yet."""
    status = status_at(inv, now)
    terminal = status in TERMINAL_STATUSES
    return {
        "id": inv.id,
        "runId": inv.run_id,
        "runtimeId": inv.runtime_id,
        "spaceId": inv.space_id,
        "runtimeKind": "browser",
        "executionMode": "durable",
        "status": status,
        "entryCall": inv.steps[0]["call"],
        "stepCount": len(inv.steps),
        "sequenceNo": inv.sequence_no,
        "artifactCount": completed_steps(inv, now),
        "request": inv.request,
        "progress": progress_at(inv, now),
        "result": result_for(inv, status),
        "error": error_for(inv, status),
        "metadata": inv.metadata,
        "connector": inv.connector,
        "correlationId": inv.correlation_id,
        "createdAt": iso_ms(inv.created_ms),
        "startedAt": iso_ms(inv.started_ms) if has_started(inv, now) else None,
        "lastHeartbeatAt": iso_or_none(last_heartbeat_ms(inv, now)),
        "cancelRequestedAt": iso_or_none(inv.cancel_requested_ms),
        "finishedAt": iso_ms(finished_ms(inv)) if terminal else None,
        "durationMs": duration_ms(inv, now),
    }
