"""What a tool call reports: the outcome vocabulary, and one line of text for the model.

Every face (LangChain, MCP, CLI) returns these same models, so an agent sees the
same words whichever way it reached bctrl.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from bctrl_tools.errors import BctrlError, NotFoundError
from bctrl_tools.ids import MAX_INVOCATION_ID_LENGTH
from bctrl_tools.models import Invocation, InvocationStatus
from bctrl_tools.report import InvocationReport, describe_progress
from bctrl_tools.summary import InvocationSummary, parse_timestamp, schema_note
from bctrl_tools.text import NAME_LIMIT, bounded, one_line
from bctrl_tools.tool_output import ErrorInfo, ToolOutput

__all__ = [
    "BatchOutcome",
    "CancelOutcome",
    "IdGroup",
    "InvocationReport",
    "Outcome",
    "describe_progress",
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
    invocation: InvocationSummary | None = Field(
        default=None, description="The invocation as the cancel left it, summarised, when known."
    )
    # The record as received: for the Python API and the LangChain artifact, never a model.
    record: SkipJsonSchema[dict[str, Any] | None] = Field(default=None, exclude=True)

    @property
    def reason(self) -> str:
        """A short, id-free why for an id that was not stopped: an error or refusal code."""
        return self.error.code if self.error else self.outcome.value

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
        error: BaseException | ErrorInfo | None = None,
    ) -> CancelOutcome:
        record = invocation.to_json_dict() if invocation else None
        summary = InvocationSummary.of(invocation, record=record) if invocation else None
        return cls(
            invocation_id=bounded(invocation_id, MAX_INVOCATION_ID_LENGTH),
            outcome=outcome,
            status=summary.status if summary else None,
            message=message + schema_note(invocation),
            is_error=outcome.is_error,
            error=error if isinstance(error, ErrorInfo) or error is None else ErrorInfo.of(error),
            space_id=summary.space_id if summary else None,
            invocation=summary,
            record=record,
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
        cls,
        invocation_id: str,
        why: str,
        invocation: Invocation | None = None,
        code: str = "refused",
    ) -> CancelOutcome:
        """A guardrail said no; ``code`` names which (``read_only``, ``budget_spent``, ...)."""
        error = ErrorInfo(type="Refused", code=code)
        return cls.of(invocation_id, Outcome.REFUSED, why, invocation, error)

    @classmethod
    def finished(cls, invocation: Invocation, raced: bool = False) -> CancelOutcome:
        how = "finished on its own" if raced else "had already finished"
        message = f"Invocation {_id(invocation)} {how} ({_status(invocation)}); nothing to cancel."
        return cls.of(invocation.id, Outcome.ALREADY_FINISHED, message, invocation)

    @classmethod
    def cancelled(cls, invocation: Invocation) -> CancelOutcome:
        message = f"Invocation {_id(invocation)} is cancelled."
        return cls.of(invocation.id, Outcome.CANCELLED, message, invocation)

    @classmethod
    def dry_run(cls, invocation: Invocation, why: str) -> CancelOutcome:
        """``why``: what switched dry runs on, e.g. "--dry-run was given"."""
        where = _where(invocation)
        message = (
            f"Dry run ({why}): invocation {_id(invocation)} is {_status(invocation)}"
            f"{f' at {where}' if where else ''} and would be cancelled. Nothing was sent."
        )
        return cls.of(invocation.id, Outcome.DRY_RUN, message, invocation)

    @classmethod
    def requested(cls, after: Invocation, before: Invocation | None, note: str) -> CancelOutcome:
        where = _where(before or after)
        doing = f" It was at {where}." if where else ""
        message = (
            f"Cancel requested for invocation {_id(after)}: it is now {_status(after)}."
            f"{doing}{note} It stops shortly; get_invocation shows when it is cancelled."
        )
        return cls.of(after.id, Outcome.CANCEL_REQUESTED, message, after)

    @classmethod
    def terminal_answer(
        cls, after: Invocation, before: Invocation | None, sent_at: float
    ) -> CancelOutcome:
        """A cancel answered with a finished record: did this cancel finish it, or an earlier?

        What this call saw decides first: a read before it found the invocation live.
        Otherwise the server's own clock does. This cancel set ``cancelRequestedAt`` at
        most a moment before the server sent its answer (its ``Date`` header), so an older
        one was set by an earlier cancel, and a repeat reports ``already_finished``. Only
        without a ``Date`` header does our clock at sending stand in, in the same window.
        """
        seen_live = before is not None and not before.is_terminal
        if after.status == InvocationStatus.CANCELLED:
            requested = parse_timestamp(after.cancel_requested_at)
            answered = after.served_at if after.served_at is not None else sent_at
            if seen_live or (requested is not None and requested >= answered - CLOCK_SLACK):
                return cls.cancelled(after)
        return cls.finished(after, raced=seen_live)


# How much older than the answer a cancelRequestedAt set by this very call may look: the
# Date header counts whole seconds, and the server's machines may differ a little.
CLOCK_SLACK = 2.0


def read_only(why: str) -> str:
    """Why a cancel is refused in read-only mode; ``why`` names what switched it on."""
    return (
        f"Cancelling is switched off ({why}): this agent may read invocations but not cancel "
        "them. Nothing was sent."
    )


def outside_spaces(invocation: Invocation) -> str:
    """Why an invocation outside BCTRL_ALLOWED_SPACE_IDS is refused."""
    space = one_line(invocation.space_id, NAME_LIMIT) if invocation.space_id else None
    where = (
        f"is in space {space}, outside"
        if space
        else "has no readable space (spaceId), so it is not known to be in"
    )
    return (
        f"Invocation {_id(invocation)} {where} the spaces this agent may cancel in "
        "(BCTRL_ALLOWED_SPACE_IDS). Nothing was sent."
    )


def _id(invocation: Invocation) -> str:
    return one_line(invocation.id, NAME_LIMIT)


def _status(invocation: Invocation) -> str:
    return one_line(invocation.status, NAME_LIMIT)


def _where(invocation: Invocation) -> str:
    progress = invocation.progress
    if progress is None:
        return ""
    return describe_progress(progress.step, progress.total_steps, progress.current_call)


class IdGroup(BaseModel):
    """Ids that ended the same way, for the same reason."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome = Field(description="What became of these ids' cancel requests.")
    reason: str | None = Field(
        default=None, description="Why they were not stopped: an error or refusal code."
    )
    invocation_ids: list[str] = Field(description="The ids, in the order they were given.")


# However many ids and reasons, a batch's groups stay within this many characters of
# JSON; past it, ids not stopped are grouped by outcome alone.
_GROUPS_LIMIT = 30_000
_REASON_LIMIT = 60


class BatchOutcome(ToolOutput):
    """The result of cancelling many invocations: every id, grouped by what became of it."""

    summary: str = Field(
        default="", description='One line, e.g. "3 invocations: 2 cancel requested, 1 not found."'
    )
    counts: dict[str, int] = Field(
        default_factory=dict, description="How many ids ended in each outcome."
    )
    stopped: list[IdGroup] = Field(
        default_factory=list,
        description="The ids stopped, stopping or already finished, by outcome.",
    )
    not_stopped: list[IdGroup] = Field(
        default_factory=list,
        description="Every id not stopped, grouped by outcome and reason; the message says why.",
    )
    # Each id's own outcome, records included: for the Python API and the LangChain
    # artifact. A model sees the groups: 500 records would be megabytes.
    results: SkipJsonSchema[list[CancelOutcome]] = Field(default_factory=list, exclude=True)

    @classmethod
    def of(cls, results: list[CancelOutcome]) -> BatchOutcome:
        counts = Counter(result.outcome for result in results)
        ordered = {outcome.value: counts[outcome] for outcome in Outcome if counts[outcome]}
        parts = [f"{n} {name.replace('_', ' ')}" for name, n in ordered.items()]
        noun = "invocation" if len(results) == 1 else "invocations"
        summary = f"{len(results)} {noun}: {', '.join(parts) or 'none'}."
        unstopped = [r for r in results if not r.outcome.stopped]
        all_errors = all(result.outcome.is_error for result in results)
        # When nothing stopped, the reason matters more than the count.
        why = f" First failure: {unstopped[0].message}" if all_errors and unstopped else ""
        return cls(
            message=summary + why,
            is_error=all_errors,
            summary=summary,
            counts=ordered,
            stopped=_groups([r for r in results if r.outcome.stopped], with_reason=False),
            not_stopped=_not_stopped_groups(unstopped),
            results=results,
        )

    def text(self) -> str:
        """The line, and every id not stopped: a content-first host sees only text."""
        if not self.not_stopped:
            return self.message
        listed = "; ".join(
            f"{group.outcome.value}{f' ({group.reason})' if group.reason else ''}: "
            + ", ".join(group.invocation_ids)
            for group in self.not_stopped
        )
        return f"{self.message}\nNot stopped: {listed}."


def _not_stopped_groups(results: list[CancelOutcome]) -> list[IdGroup]:
    groups = _groups(results, with_reason=True)
    size = len(json.dumps([group.model_dump(mode="json") for group in groups]))
    return groups if size <= _GROUPS_LIMIT else _groups(results, with_reason=False)


def _groups(results: list[CancelOutcome], *, with_reason: bool) -> list[IdGroup]:
    grouped: dict[tuple[Outcome, str | None], list[str]] = {}
    for result in results:
        reason = one_line(result.reason, _REASON_LIMIT) if with_reason else None
        grouped.setdefault((result.outcome, reason), []).append(result.invocation_id)
    return [
        IdGroup(outcome=outcome, reason=reason, invocation_ids=ids)
        for (outcome, reason), ids in grouped.items()
    ]
