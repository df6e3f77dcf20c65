"""What ``list_invocations`` answers: a run's invocations, compact and bounded.

Every host view of the answer stays within :data:`VIEW_LIMIT` characters for up to
500 items (the JSON of the structured result, the text line, LangChain's content):

- ``message`` (all that content-first hosts show) names the counts and then as many
  items as fit in its share, most important first;
- ``items`` holds compact rows, most important first, as many as fit;
- ``other_ids`` names every other listed id, so no listed invocation goes unnamed.

Most important first means: this agent's own invocation, then those matching a
runaway rule, then those it may not cancel, then the longest-running.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from bctrl_tools.durations import format_duration
from bctrl_tools.ids import canonical_id
from bctrl_tools.models import Invocation
from bctrl_tools.runaway import RunawayRules, Vitals
from bctrl_tools.text import NAME_LIMIT, one_line
from bctrl_tools.tool_output import ToolOutput

__all__ = ["VIEW_LIMIT", "InvocationList", "ListedInvocation", "RunListing", "rows_of"]

VIEW_LIMIT = 40_000
# The message's share of the limit: the rest is for the structured rows and ids.
_MESSAGE_SHARE = 8_000
# Room for the fixed fields around the rows (counts, flags, keys).
_OVERHEAD = 2_000


@dataclass(frozen=True)
class RunListing:
    """What the operations found: a run's invocations as read, before any judgement."""

    run_id: str
    invocations: list[Invocation]
    more: bool = False
    cut_short: str | None = None
    skipped: int = 0


class ListedInvocation(BaseModel):
    """One invocation in a listing, as much as a supervisor needs to judge it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The invocation id, for cancel_invocations.")
    status: str = Field(description="queued, dispatching, running, cancelling, or finished.")
    entry_call: str | None = Field(default=None, description="Its first call.")
    step: str | None = Field(default=None, description='The step it is on, e.g. "2/3".')
    current_call: str | None = Field(default=None, description="The call it is running.")
    age_seconds: int | None = Field(
        default=None,
        description="Seconds since it started (or was created, if waiting); "
        "for a finished one, how long it ran.",
    )
    heartbeat_age_seconds: int | None = Field(
        default=None, description="Seconds since its last sign of life, while it is live."
    )
    runaway: list[str] = Field(
        default_factory=list, description="The runaway filters it matched, if any."
    )
    is_self: bool = Field(default=False, description="Whether it is this agent's own.")
    cancellable: bool = Field(
        default=True, description="False when it is outside BCTRL_ALLOWED_SPACE_IDS."
    )


class InvocationList(ToolOutput):
    """The result of listing a run's invocations."""

    # Its message names the items within the view's own budget (_message), not one line.
    message_limit: ClassVar[int] = VIEW_LIMIT

    run_id: str | None = Field(default=None, description="The run that was listed.")
    counts: dict[str, int] = Field(
        default_factory=dict, description="How many listed invocations have each status."
    )
    matched: int = Field(default=0, description="How many matched a runaway filter.")
    more: bool = Field(default=False, description="Whether the run may hold more than were listed.")
    items: list[ListedInvocation] = Field(
        default_factory=list, description="Compact rows, most important first."
    )
    other_ids: list[str] = Field(
        default_factory=list,
        description="Every other listed id, when the rows would not all fit.",
    )

    @classmethod
    def of(
        cls,
        listing: RunListing,
        rules: RunawayRules,
        *,
        now: float,
        self_id: str | None,
        allowed_spaces: frozenset[str] | None,
    ) -> InvocationList:
        rows = rows_of(listing, rules, now=now, self_id=self_id, allowed_spaces=allowed_spaces)
        counts = dict(Counter(row.status for row in rows))
        matched = sum(1 for row in rows if row.runaway)
        ids_size = sum(len(json.dumps(row.id)) + 1 for row in rows)
        message = _message(listing, rules, rows, counts, matched, VIEW_LIMIT - ids_size)
        shown = _fitting(rows, VIEW_LIMIT - _OVERHEAD - _json_len(message) - ids_size)
        return cls(
            message=message,
            run_id=listing.run_id,
            counts=counts,
            matched=matched,
            more=listing.more,
            items=rows[:shown],
            other_ids=[row.id for row in rows[shown:]],
        )


def rows_of(
    listing: RunListing,
    rules: RunawayRules,
    *,
    now: float,
    self_id: str | None,
    allowed_spaces: frozenset[str] | None,
) -> list[ListedInvocation]:
    """Every listed invocation the rules select, as a row, most important first."""
    rows = [
        _row(invocation, rules, now, self_id, allowed_spaces)
        for invocation in listing.invocations
        if rules.selects(Vitals.of(invocation, now))
    ]
    return sorted(rows, key=_importance)


def _row(
    invocation: Invocation,
    rules: RunawayRules,
    now: float,
    self_id: str | None,
    allowed_spaces: frozenset[str] | None,
) -> ListedInvocation:
    vitals = Vitals.of(invocation, now)
    progress = invocation.progress
    step = None
    if progress is not None and progress.step is not None:
        step = (
            f"{progress.step}/{progress.total_steps}"
            if progress.total_steps
            else str(progress.step)
        )
    call = progress.current_call if progress is not None else None
    return ListedInvocation(
        id=invocation.id,
        status=one_line(invocation.status, NAME_LIMIT),
        entry_call=None
        if invocation.entry_call is None
        else one_line(invocation.entry_call, NAME_LIMIT),
        step=step,
        current_call=None if call is None else one_line(call, NAME_LIMIT),
        age_seconds=_whole(vitals.age_seconds),
        heartbeat_age_seconds=_whole(vitals.heartbeat_age_seconds),
        runaway=list(rules.matched(vitals)),
        is_self=self_id is not None and canonical_id(invocation.id) == canonical_id(self_id),
        cancellable=allowed_spaces is None or invocation.space_id in allowed_spaces,
    )


def _json_len(value: object) -> int:
    """Characters of ``value`` as JSON with every non-ASCII character escaped: the
    longest any host's encoding of it can be, so a budget kept here holds in all."""
    return len(json.dumps(value, separators=(",", ":")))


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


def _importance(row: ListedInvocation) -> tuple[bool, bool, bool, int]:
    return (not row.is_self, not row.runaway, row.cancellable, -(row.age_seconds or 0))


def _fitting(rows: Sequence[ListedInvocation], budget: int) -> int:
    """How many rows, from the first, fit in ``budget`` characters of JSON."""
    used = 0
    for index, row in enumerate(rows):
        used += _json_len(row.model_dump(mode="json")) + 1 - (len(json.dumps(row.id)) + 1)
        if used > budget:
            return index
    return len(rows)


def _message(
    listing: RunListing,
    rules: RunawayRules,
    rows: Sequence[ListedInvocation],
    counts: dict[str, int],
    matched: int,
    room: int,
) -> str:
    by_status = ", ".join(f"{n} {status}" for status, n in counts.items())
    head = f"Run {listing.run_id}: {len(rows)} invocation{'s' if len(rows) != 1 else ''} listed"
    head += f" ({by_status})" if by_status else ""
    if rules.active:
        head += f", matching {rules.describe()}"
    head += "; more may exist, narrow with status or filters" if listing.more else ""
    head += f"; {listing.skipped} non-invocation commands skipped" if listing.skipped else ""
    head += "."
    if matched:
        head += " To stop them, call cancel_invocations with the ids of those you judge runaway."
    blocked = sum(1 for row in rows if not row.cancellable)
    if blocked:
        head += f" {blocked} are outside BCTRL_ALLOWED_SPACE_IDS: this server cannot cancel them."
    budget = min(_MESSAGE_SHARE, max(500, room - _OVERHEAD) // 2)
    parts = [head]
    used = _json_len(head)
    for index, row in enumerate(rows):
        part = " " + _describe(row)
        if used + _json_len(part) > budget:
            parts.append(f" ... {len(rows) - index} more in the structured result.")
            break
        parts.append(part)
        used += _json_len(part)
    return "".join(parts)


def _describe(row: ListedInvocation) -> str:
    details = [row.status]
    if row.step:
        details.append(f"step {row.step}")
    if row.current_call:
        details.append(row.current_call)
    if row.age_seconds is not None:
        details.append(f"running {format_duration(row.age_seconds)}")
    if row.heartbeat_age_seconds is not None:
        details.append(f"heartbeat {format_duration(row.heartbeat_age_seconds)} ago")
    if row.runaway:
        details.append("matches " + "+".join(row.runaway))
    if row.is_self:
        details.append("this agent's own")
    if not row.cancellable:
        details.append("not cancellable here")
    return f"{row.id} ({', '.join(details)})."
