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

from pydantic import Field

from bctrl_tools.errors import BctrlError, NotFoundError
from bctrl_tools.models import Invocation, InvocationStatus
from bctrl_tools.tool_output import ErrorInfo, ToolOutput

__all__ = [
    "BatchOutcome",
    "CancelOutcome",
    "InvocationReport",
    "Outcome",
    "describe_progress",
    "format_duration",
    "outside_spaces",
    "parse_timestamp",
    "read_only",
    "schema_note",
]


class Outcome(str, Enum):
    """What became of one cancel request."""

    CANCEL_REQUESTED = "cancel_requested"  # accepted; the invocation is cancelling
    CANCELLED = "cancelled"  # confirmed terminal
    ALREADY_FINISHED = "already_finished"  # it had ended before; not an error
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # a guardrail said no; nothing was sent
    DRY_RUN = "dry_run"  # would have been cancelled; nothing was sent
    FAILED = "failed"  # the API or the network failed; see error

    def __str__(self) -> str:
        # print(result.outcome) shows "cancelled", the word every face and the JSON use.
        return str(self.value)

    @property
    def is_error(self) -> bool:
        """Whether a face should present this as a failed tool call."""
        return self in {Outcome.NOT_FOUND, Outcome.REFUSED, Outcome.FAILED}

    @property
    def stopped(self) -> bool:
        """Whether the invocation is, or is on its way to being, no longer running."""
        return self in {Outcome.CANCEL_REQUESTED, Outcome.CANCELLED, Outcome.ALREADY_FINISHED}


class CancelOutcome(ToolOutput):
    """The result of cancelling one invocation."""

    invocation_id: str = Field(
        default="", description="The invocation the cancel was for (empty if never known)."
    )
    outcome: Outcome = Field(default=Outcome.FAILED, description="What became of the request.")
    status: str | None = Field(
        default=None, description="The invocation's status after the call, when known."
    )
    space_id: str | None = Field(default=None, description="The invocation's space, when known.")
    invocation: dict[str, Any] | None = Field(
        default=None, description="The full invocation record (camelCase), when known."
    )

    @property
    def request_id(self) -> str | None:
        """The API request id of the failure, if any."""
        return self.error.request_id if self.error else None

    # --- one builder per way a cancel can end -----------------------------------------

    @classmethod
    def of(
        cls,
        invocation_id: str,
        outcome: Outcome,
        message: str,
        invocation: Invocation | None = None,
        error: BaseException | None = None,
    ) -> CancelOutcome:
        return cls(
            invocation_id=invocation_id,
            outcome=outcome,
            status=str(invocation.status) if invocation else None,
            message=message + schema_note(invocation),
            is_error=outcome.is_error,
            error=ErrorInfo.of(error) if error is not None else None,
            space_id=invocation.space_id if invocation else None,
            invocation=invocation.to_json_dict() if invocation else None,
        )

    @classmethod
    def failed(cls, invocation_id: str, error: BaseException) -> CancelOutcome:
        """Bad input, or a failure no flow expected; a bug's own text stays in the log."""
        message = (
            str(error)
            if isinstance(error, BctrlError | ValueError)
            else (
                f"Cancelling invocation {invocation_id} failed unexpectedly "
                f"({type(error).__name__}); check it with get_invocation."
            )
        )
        return cls.of(invocation_id, Outcome.FAILED, message, error=error)

    @classmethod
    def from_error(
        cls, invocation_id: str, error: BctrlError, invocation: Invocation | None = None
    ) -> CancelOutcome:
        kind = Outcome.NOT_FOUND if isinstance(error, NotFoundError) else Outcome.FAILED
        return cls.of(invocation_id, kind, str(error), invocation, error)

    @classmethod
    def refused(
        cls, invocation_id: str, why: str, invocation: Invocation | None = None
    ) -> CancelOutcome:
        return cls.of(invocation_id, Outcome.REFUSED, why, invocation)

    @classmethod
    def finished(cls, invocation: Invocation, raced: bool = False) -> CancelOutcome:
        how = "finished on its own" if raced else "had already finished"
        message = f"Invocation {invocation.id} {how} ({invocation.status}); nothing to cancel."
        return cls.of(invocation.id, Outcome.ALREADY_FINISHED, message, invocation)

    @classmethod
    def cancelled(cls, invocation: Invocation) -> CancelOutcome:
        message = f"Invocation {invocation.id} is cancelled."
        return cls.of(invocation.id, Outcome.CANCELLED, message, invocation)

    @classmethod
    def dry_run(cls, invocation: Invocation, why: str) -> CancelOutcome:
        """``why``: what switched dry runs on, e.g. "--dry-run was given"."""
        where = _where(invocation)
        message = (
            f"Dry run ({why}): invocation {invocation.id} is {invocation.status}"
            f"{f' at {where}' if where else ''} and would be cancelled. Nothing was sent."
        )
        return cls.of(invocation.id, Outcome.DRY_RUN, message, invocation)

    @classmethod
    def requested(cls, after: Invocation, before: Invocation | None, note: str) -> CancelOutcome:
        where = _where(before or after)
        doing = f" It was at {where}." if where else ""
        message = (
            f"Cancel requested for invocation {after.id}: it is now {after.status}.{doing}{note}"
            " It stops shortly; get_invocation shows when it is cancelled."
        )
        return cls.of(after.id, Outcome.CANCEL_REQUESTED, message, after)

    @classmethod
    def terminal_answer(
        cls, after: Invocation, before: Invocation | None, sent_at: float
    ) -> CancelOutcome:
        """A cancel answered with a finished record: did this cancel finish it, or an earlier?"""
        seen_live = before is not None and not before.is_terminal
        if after.status == InvocationStatus.CANCELLED:
            requested = parse_timestamp(after.cancel_requested_at)
            # Without a read before, the record's own cancelRequestedAt tells (clocks may differ).
            if seen_live or (requested is not None and requested >= sent_at - _CLOCK_SLACK):
                return cls.cancelled(after)
        return cls.finished(after, raced=seen_live)


# How far the server's clock may be behind ours when judging "cancelled just now".
_CLOCK_SLACK = 30.0


def read_only(why: str) -> str:
    """Why a cancel is refused in read-only mode; ``why`` names what switched it on."""
    return (
        f"Cancelling is switched off ({why}): this agent may read invocations but not cancel "
        "them. Nothing was sent."
    )


def outside_spaces(invocation: Invocation) -> str:
    """Why an invocation outside BCTRL_ALLOWED_SPACE_IDS is refused."""
    where = (
        f"is in space {invocation.space_id}, outside"
        if invocation.space_id
        else "has no readable space (spaceId), so it is not known to be in"
    )
    return (
        f"Invocation {invocation.id} {where} the spaces this agent may cancel in "
        "(BCTRL_ALLOWED_SPACE_IDS). Nothing was sent."
    )


def schema_note(invocation: Invocation | None) -> str:
    """Said once in a result's line, so that a lenient read is never taken for a clean one."""
    drifted = len(invocation.schema_warnings) if invocation else 0
    if not drifted:
        return ""
    fields = "field" if drifted == 1 else "fields"
    return f" The record did not fully match the documented schema ({drifted} {fields})."


def _where(invocation: Invocation) -> str:
    progress = invocation.progress
    if progress is None:
        return ""
    return describe_progress(progress.step, progress.total_steps, progress.current_call)


class BatchOutcome(ToolOutput):
    """The result of cancelling many invocations: one outcome per distinct id."""

    summary: str = Field(
        default="", description='One line, e.g. "2 cancel requested, 1 not found".'
    )
    counts: dict[str, int] = Field(
        default_factory=dict, description="How many ids ended in each outcome."
    )
    results: list[CancelOutcome] = Field(
        default_factory=list, description="One outcome per distinct id, in order."
    )

    @classmethod
    def of(cls, results: list[CancelOutcome]) -> BatchOutcome:
        counts = Counter(result.outcome for result in results)
        ordered = {outcome.value: counts[outcome] for outcome in Outcome if counts[outcome]}
        parts = [f"{n} {name.replace('_', ' ')}" for name, n in ordered.items()]
        noun = "invocation" if len(results) == 1 else "invocations"
        summary = f"{len(results)} {noun}: {', '.join(parts) or 'none'}."
        all_errors = all(result.outcome.is_error for result in results)
        return cls(
            message=_batch_line(summary, results, all_errors),
            is_error=all_errors,
            summary=summary,
            counts=ordered,
            results=results,
        )


def _batch_line(summary: str, results: list[CancelOutcome], all_errors: bool) -> str:
    # The model sees only this line in LangChain, so name what did not stop.
    unstopped = [r for r in results if not r.outcome.stopped]
    if not unstopped:
        return summary
    shown = "; ".join(f"{r.invocation_id}: {r.outcome.value}" for r in unstopped[:10])
    more = f"; and {len(unstopped) - 10} more" if len(unstopped) > 10 else ""
    # When nothing stopped, the reason matters more than the count.
    why = f" First failure: {unstopped[0].message}" if all_errors else ""
    return f"{summary} Not stopped: {shown}{more}.{why}"


class InvocationReport(ToolOutput):
    """What a supervisor needs to judge whether an invocation has run away."""

    invocation_id: str | None = Field(default=None, description="The invocation's id.")
    status: str | None = Field(
        default=None, description="Its status: queued, running, cancelling, succeeded, ..."
    )
    is_terminal: bool | None = Field(
        default=None, description="Whether it has finished and can no longer change."
    )
    step: int | None = Field(default=None, description="The step it is on, counting from 1.")
    total_steps: int | None = Field(default=None, description="How many steps it has.")
    current_call: str | None = Field(default=None, description="The call it is running now.")
    running_seconds: float | None = Field(
        default=None, description="Seconds since it started (until it finished, if it has)."
    )
    heartbeat_age_seconds: float | None = Field(
        default=None, description="Seconds since its last heartbeat; large means stalled."
    )
    space_id: str | None = Field(default=None, description="The space it belongs to.")
    invocation: dict[str, Any] | None = Field(
        default=None, description="The full invocation record (camelCase)."
    )

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
        return report.model_copy(update={"message": report._line() + schema_note(invocation)})

    def _line(self) -> str:
        details = [describe_progress(self.step, self.total_steps, self.current_call)]
        if self.running_seconds is not None:
            verb = "ran" if self.is_terminal else "running for"
            details.append(f"{verb} {format_duration(self.running_seconds)}")
        if self.heartbeat_age_seconds is not None:
            details.append(f"last heartbeat {format_duration(self.heartbeat_age_seconds)} ago")
        # "Invocation X: succeeded; ran 3.5s." reads right for every status, known or not.
        return (
            f"Invocation {self.invocation_id}: "
            + "; ".join([str(self.status), *(part for part in details if part)])
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


def format_duration(seconds: float) -> str:
    """``4.2s``, ``45s``, ``12m05s``, ``2h03m``: whole units, for people and models."""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
