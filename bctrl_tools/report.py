"""What ``get_invocation`` reports: a summary by default, the record itself on request.

The summary (:class:`~bctrl_tools.summary.InvocationSummary`) is what a supervisor needs
and stays small whatever the record. ``detail="full"`` adds the record, cleaned and cut
to fit :data:`FULL_VIEW_LIMIT` characters in any view. The record exactly as received
stays on the report (``record``) for the Python API and the LangChain artifact, where
no model pays for it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, PrivateAttr
from pydantic.json_schema import SkipJsonSchema

from bctrl_tools.durations import format_duration
from bctrl_tools.full_record import bounded_record
from bctrl_tools.models import Invocation
from bctrl_tools.summary import InvocationSummary, schema_note
from bctrl_tools.text import NAME_LIMIT, one_line
from bctrl_tools.tool_output import ToolOutput

__all__ = ["FULL_VIEW_LIMIT", "Detail", "InvocationReport", "describe_progress"]

Detail = Literal["summary", "full"]
FULL_VIEW_LIMIT = 50_000  # characters of any view of a get with detail "full"
# What the rest of a full view (message, summary, keys) may take beside the record.
_VIEW_ROOM = 3_000


class InvocationReport(ToolOutput):
    """What a supervisor needs to judge whether an invocation has run away."""

    invocation: InvocationSummary | None = Field(
        default=None, description="The invocation, summarised: ids, status, progress, times."
    )
    full_record: dict[str, Any] | None = Field(
        default=None,
        description='Only with detail "full": the record itself (camelCase), cleaned and, '
        "if it is large, cut to fit (full_record_cuts says what was cut).",
    )
    full_record_cuts: str | None = Field(
        default=None, description="What was cut from full_record to fit, if anything."
    )
    # The record as received: for the Python API and the LangChain artifact, never a model.
    record: SkipJsonSchema[dict[str, Any] | None] = Field(default=None, exclude=True)
    # What of the record drifted from the documented schema, said in every line of it.
    _schema_note: str = PrivateAttr(default="")

    @classmethod
    def of(
        cls, invocation: Invocation, now: float | None = None, detail: Detail = "summary"
    ) -> InvocationReport:
        record = invocation.to_json_dict()
        summary = InvocationSummary.of(invocation, now, record)
        note = schema_note(invocation)
        report = cls(message=_line(summary) + note, invocation=summary, record=record)
        report._schema_note = note
        return report.detailed() if detail == "full" else report

    def detailed(self) -> InvocationReport:
        """This report with the record itself in it, within the full view's limit."""
        if self.record is None:
            return self
        fitted = bounded_record(self.record, FULL_VIEW_LIMIT - _VIEW_ROOM)
        cut = (
            f" Record cut to fit {FULL_VIEW_LIMIT:,} characters: {fitted.note}."
            if fitted.note
            else ""
        )
        line = self.message
        if self.invocation is not None:
            line = _line(self.invocation, shows_record=True) + self._schema_note
        return self.model_copy(
            update={
                "message": line + cut,
                "full_record": fitted.record,
                "full_record_cuts": fitted.note,
            }
        )

    def text(self) -> str:
        """The line, and the record when asked for: a content-first host shows only text."""
        if self.full_record is None:
            return self.message
        record = json.dumps(self.full_record, ensure_ascii=False, separators=(",", ":"))
        return f"{self.message}\n{record}"

    # -- the summary's fields, read straight off the report (Python API, CLI) ----------

    @property
    def invocation_id(self) -> str | None:
        return self.invocation.id if self.invocation else None

    @property
    def status(self) -> str | None:
        return self.invocation.status if self.invocation else None

    @property
    def is_terminal(self) -> bool | None:
        return self.invocation.is_terminal if self.invocation else None

    @property
    def space_id(self) -> str | None:
        return self.invocation.space_id if self.invocation else None

    @property
    def step(self) -> int | None:
        return self.invocation.step if self.invocation else None

    @property
    def total_steps(self) -> int | None:
        return self.invocation.total_steps if self.invocation else None

    @property
    def current_call(self) -> str | None:
        return self.invocation.current_call if self.invocation else None

    @property
    def running_seconds(self) -> float | None:
        return self.invocation.duration_seconds if self.invocation else None

    @property
    def heartbeat_age_seconds(self) -> float | None:
        return self.invocation.heartbeat_age_seconds if self.invocation else None


def _line(summary: InvocationSummary, shows_record: bool = False) -> str:
    details = [describe_progress(summary.step, summary.total_steps, summary.current_call)]
    if summary.duration_seconds is not None:
        verb = "ran" if summary.is_terminal else "running for"
        details.append(f"{verb} {format_duration(summary.duration_seconds)}")
    if summary.heartbeat_age_seconds is not None:
        details.append(f"last heartbeat {format_duration(summary.heartbeat_age_seconds)} ago")
    if summary.error_message:
        details.append(f"error: {summary.error_message}")
    if summary.not_shown and not shows_record:
        details.append(f'not shown: {summary.not_shown} (detail "full" shows them)')
    # "Invocation X: succeeded; ran 3.5s." reads right for every status, known or not.
    return f"Invocation {summary.id}: " + "; ".join([summary.status, *filter(None, details)]) + "."


def describe_progress(step: int | None, total: int | None, call: str | None) -> str:
    """``step 2/3 (page.click)``, or as much of it as is known; the call made safe to show."""
    where = f"step {step}/{total}" if step is not None and total else ""
    if step is not None and not total:
        where = f"step {step}"
    if call:
        shown = one_line(call, NAME_LIMIT)
        where = f"{where} ({shown})" if where else shown
    return where
