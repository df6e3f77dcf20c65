"""A compact, bounded view of one invocation: what a model needs, never the raw record.

A real record can be megabytes: ``request.steps`` carry arbitrary arguments, ``result``
each step's returned value, ``metadata`` anything. A model judging whether to stop an
invocation needs its ids, where it is, how long it has run and whether it is alive.
:class:`InvocationSummary` holds exactly that, every server string capped and cleaned,
and says in one short line what it left out ("request: 312 steps; result: 312 step
results (1.4 MB)"), so the model knows more exists (``detail: "full"``) and how big.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bctrl_tools.models import Invocation
from bctrl_tools.text import MESSAGE_LIMIT, NAME_LIMIT, one_line

__all__ = ["InvocationSummary", "clock", "human_size", "parse_timestamp"]

# Where "now" comes from for ages and durations; tests that show a result as a model
# sees it (snapshots) fix it, without touching the time module for everyone else.
clock = time.time


class InvocationSummary(BaseModel):
    """One invocation as a model sees it by default: small, bounded and clean."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The invocation's id.")
    status: str = Field(description="queued, dispatching, running, cancelling, succeeded, ...")
    is_terminal: bool = Field(description="Whether it has finished and can no longer change.")
    run_id: str | None = Field(default=None, description="The run it belongs to.")
    runtime_id: str | None = Field(default=None, description="The runtime it runs in.")
    space_id: str | None = Field(default=None, description="The space it belongs to.")
    entry_call: str | None = Field(default=None, description="The call it started with.")
    step: int | None = Field(default=None, description="The step it is on, counting from 1.")
    total_steps: int | None = Field(default=None, description="How many steps it has.")
    current_call: str | None = Field(default=None, description="The call it is running now.")
    created_at: str | None = Field(default=None, description="When it was created (UTC).")
    started_at: str | None = Field(default=None, description="When it started (UTC).")
    finished_at: str | None = Field(default=None, description="When it finished (UTC).")
    cancel_requested_at: str | None = Field(
        default=None, description="When a cancel was requested (UTC)."
    )
    duration_seconds: float | None = Field(
        default=None, description="Seconds from start to finish, or to now if still running."
    )
    heartbeat_age_seconds: float | None = Field(
        default=None, description="Seconds since its last heartbeat; large means stalled."
    )
    error_code: str | None = Field(default=None, description="Its error's code, if it failed.")
    error_message: str | None = Field(
        default=None, description="Its error's message, shortened, if it failed."
    )
    not_shown: str | None = Field(
        default=None,
        description='What this summary leaves out, e.g. "request: 4 steps; result: 4 step '
        'results (2.1 KB)"; get_invocation with detail "full" shows it.',
    )

    @classmethod
    def of(
        cls,
        invocation: Invocation,
        now: float | None = None,
        record: dict[str, Any] | None = None,
    ) -> InvocationSummary:
        """Summarise ``invocation`` as of ``now`` (seconds since the epoch; default: now).

        ``record`` is ``invocation.to_json_dict()`` when the caller already has it: a
        record can be large, and every result would otherwise dump it twice.
        """
        now = clock() if now is None else now
        progress = invocation.progress
        error = invocation.error
        return cls(
            id=_name(invocation.id),
            status=_name(invocation.status),
            is_terminal=invocation.is_terminal,
            run_id=_name(invocation.run_id),
            runtime_id=_name(invocation.runtime_id),
            space_id=_name(invocation.space_id),
            entry_call=_name(invocation.entry_call),
            step=progress.step if progress else None,
            total_steps=progress.total_steps if progress else None,
            current_call=_name(progress.current_call) if progress else None,
            created_at=_name(invocation.created_at),
            started_at=_name(invocation.started_at),
            finished_at=_name(invocation.finished_at),
            cancel_requested_at=_name(invocation.cancel_requested_at),
            duration_seconds=_duration(invocation, now),
            heartbeat_age_seconds=_heartbeat_age(invocation, now),
            error_code=_name(error.code) if error else None,
            error_message=one_line(error.message, MESSAGE_LIMIT) if error else None,
            not_shown=not_shown(invocation.to_json_dict() if record is None else record),
        )


def not_shown(record: dict[str, Any]) -> str | None:
    """The record's big parts, counted and sized: what a summary leaves out."""
    parts = []
    request = record.get("request")
    if isinstance(request, dict):
        parts.append(f"request: {_count(request.get('steps'), 'step')} ({_size(request)})")
    result = record.get("result")
    if isinstance(result, dict):
        parts.append(f"result: {_count(result.get('steps'), 'step result')} ({_size(result)})")
    metadata = record.get("metadata")
    if isinstance(metadata, dict) and metadata:
        parts.append(f"metadata: {_count(list(metadata), 'key')} ({_size(metadata)})")
    error = record.get("error")
    if isinstance(error, dict) and error.get("details"):
        parts.append(f"error details ({_size(error['details'])})")
    return "; ".join(parts) or None


def schema_note(invocation: Invocation | None) -> str:
    """Said once in a result's line, so that a lenient read is never taken for a clean one."""
    drifted = len(invocation.schema_warnings) if invocation else 0
    if not drifted:
        return ""
    fields = "field" if drifted == 1 else "fields"
    return f" The record did not fully match the documented schema ({drifted} {fields})."


def human_size(n_bytes: int) -> str:
    """``812 B``, ``2.1 KB``, ``1.4 MB``."""
    if n_bytes < 1000:
        return f"{n_bytes} B"
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} KB"
    return f"{n_bytes / 1_000_000:.1f} MB"


def parse_timestamp(timestamp: str | None) -> float | None:
    """Seconds since the epoch of an API timestamp, or None if absent or unreadable."""
    if not timestamp:
        return None
    try:
        # fromisoformat before 3.11 does not read a trailing "Z".
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    # The API speaks UTC; a timestamp without an offset is read as UTC, not local time.
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _name(value: object) -> str | None:
    return None if value is None else one_line(value, NAME_LIMIT)


def _count(items: object, noun: str) -> str:
    n = len(items) if isinstance(items, list) else 0
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _size(part: object) -> str:
    return human_size(len(json.dumps(part, separators=(",", ":"), ensure_ascii=False)))


def _duration(invocation: Invocation, now: float) -> float | None:
    if invocation.duration_ms is not None and invocation.is_terminal:
        return round(invocation.duration_ms / 1000, 3)
    started = parse_timestamp(invocation.started_at)
    if started is None:
        return None
    ended = parse_timestamp(invocation.finished_at) if invocation.is_terminal else None
    return round(max(0.0, (ended or now) - started), 3)


def _heartbeat_age(invocation: Invocation, now: float) -> float | None:
    beat = parse_timestamp(invocation.last_heartbeat_at)
    if beat is None or invocation.is_terminal:
        return None
    return round(max(0.0, now - beat), 3)
