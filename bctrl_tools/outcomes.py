"""What a tool call reports: the outcome vocabulary, and one line of text for the model.

Every face (LangChain, MCP, CLI) returns these same models, so an agent sees the
same words whichever way it reached bctrl.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bctrl_tools.models import Invocation

__all__ = [
    "BatchOutcome",
    "CancelOutcome",
    "InvocationReport",
    "Outcome",
    "describe_progress",
    "parse_timestamp",
]


class Outcome(str, Enum):
    """What became of one cancel request."""

    CANCEL_REQUESTED = "cancel_requested"  # accepted; the invocation is cancelling
    CANCELLED = "cancelled"  # confirmed terminal
    ALREADY_FINISHED = "already_finished"  # it had ended before; not an error
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # a guardrail said no; nothing was sent
    DRY_RUN = "dry_run"  # would have been cancelled; nothing was sent
    FAILED = "failed"  # the API or the network failed; see error_code

    @property
    def is_error(self) -> bool:
        """Whether a face should present this as a failed tool call."""
        return self in {Outcome.NOT_FOUND, Outcome.REFUSED, Outcome.FAILED}

    @property
    def stopped(self) -> bool:
        """Whether the invocation is, or is on its way to being, no longer running."""
        return self in {Outcome.CANCEL_REQUESTED, Outcome.CANCELLED, Outcome.ALREADY_FINISHED}


class _Report(BaseModel):
    model_config = ConfigDict(frozen=True)


class CancelOutcome(_Report):
    """The result of cancelling one invocation."""

    invocation_id: str = Field(description="The invocation the cancel was for.")
    outcome: Outcome = Field(description="What became of the cancel request.")
    status: str | None = Field(
        default=None, description="The invocation's status after the call, when known."
    )
    message: str = Field(description="One line for the model or person reading it.")
    error_code: str | None = Field(default=None, description="The API's error code, if any.")
    request_id: str | None = Field(default=None, description="The API request id, if any.")
    space_id: str | None = Field(default=None, description="The invocation's space, when known.")
    invocation: dict[str, Any] | None = Field(
        default=None, description="The full invocation record (camelCase), when known."
    )


class BatchOutcome(_Report):
    """The result of cancelling many invocations: one outcome per distinct id."""

    summary: str = Field(description='One line, e.g. "2 cancel requested, 1 not found".')
    counts: dict[str, int] = Field(description="How many ids ended in each outcome.")
    results: list[CancelOutcome] = Field(description="One outcome per distinct id, in order.")

    @classmethod
    def of(cls, results: list[CancelOutcome]) -> BatchOutcome:
        counts = Counter(result.outcome for result in results)
        ordered = {outcome.value: counts[outcome] for outcome in Outcome if counts[outcome]}
        parts = [f"{n} {name.replace('_', ' ')}" for name, n in ordered.items()]
        noun = "invocation" if len(results) == 1 else "invocations"
        return cls(
            summary=f"{len(results)} {noun}: {', '.join(parts) or 'none'}.",
            counts=ordered,
            results=results,
        )


class InvocationReport(_Report):
    """What a supervisor needs to judge whether an invocation has run away."""

    invocation_id: str = Field(description="The invocation's id.")
    status: str = Field(description="Its status: queued, running, cancelling, succeeded, ...")
    is_terminal: bool = Field(description="Whether it has finished and can no longer change.")
    message: str = Field(description="One line summary for the model or person reading it.")
    step: int | None = Field(default=None, description="The step it is on, counting from 1.")
    total_steps: int | None = Field(default=None, description="How many steps it has.")
    current_call: str | None = Field(default=None, description="The call it is running now.")
    running_seconds: float | None = Field(
        default=None, description="Seconds since it started (until it finished, if it has)."
    )
    heartbeat_age_seconds: float | None = Field(
        default=None, description="Seconds since its last heartbeat; large means stalled."
    )
    space_id: str = Field(description="The space it belongs to.")
    invocation: dict[str, Any] = Field(description="The full invocation record (camelCase).")

    @classmethod
    def of(cls, invocation: Invocation, now: float | None = None) -> InvocationReport:
        now = time.time() if now is None else now
        progress = invocation.progress
        started = parse_timestamp(invocation.started_at)
        ended = parse_timestamp(invocation.finished_at)
        running = None if started is None else max(0.0, (ended or now) - started)
        heartbeat = parse_timestamp(invocation.last_heartbeat_at)
        age = None if heartbeat is None or invocation.is_terminal else max(0.0, now - heartbeat)
        report = cls(
            invocation_id=invocation.id,
            status=str(invocation.status),
            is_terminal=invocation.is_terminal,
            message="",
            step=progress.step if progress else None,
            total_steps=progress.total_steps if progress else None,
            current_call=progress.current_call if progress else None,
            running_seconds=None if running is None else round(running, 3),
            heartbeat_age_seconds=None if age is None else round(age, 3),
            space_id=invocation.space_id,
            invocation=invocation.to_json_dict(),
        )
        return report.model_copy(update={"message": report._line()})

    def _line(self) -> str:
        details = [describe_progress(self.step, self.total_steps, self.current_call)]
        if self.running_seconds is not None:
            verb = "ran" if self.is_terminal else "running for"
            details.append(f"{verb} {_duration(self.running_seconds)}")
        if self.heartbeat_age_seconds is not None:
            details.append(f"last heartbeat {_duration(self.heartbeat_age_seconds)} ago")
        # "Invocation X: succeeded; ran 3.5s." reads right for every status, known or not.
        return (
            f"Invocation {self.invocation_id}: "
            + "; ".join([self.status, *(part for part in details if part)])
            + "."
        )


def describe_progress(step: int | None, total: int | None, call: str | None) -> str:
    """``step 2/3 (page.click)``, or as much of it as is known."""
    where = f"step {step}/{total}" if step is not None and total else ""
    if step is not None and not total:
        where = f"step {step}"
    if call:
        where = f"{where} ({call})" if where else call
    return where


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


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
