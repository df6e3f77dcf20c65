"""`GET /v1/runs/{id}/commands`: its query, its cursor, and one page of a run's invocations.

bctrl documents the parameters (`cursor`, `limit`, `order`, `status`, `executionMode`,
`include`) but not their values. The sandbox implements the reading bctrl-tools infers
(see the README, "What rests on inference"): `status` and `include` repeat as keys
(a comma-separated value is accepted too), `order` is `asc|desc`, `executionMode` is
`inline|durable`, items are invocation records whose command id is the invocation id,
and `request`, `result` and `error` appear only when `include` names them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bctrl_tools.sandbox.envelope import invalid
from bctrl_tools.sandbox.invocation import JsonObject, StoredInvocation
from bctrl_tools.sandbox.lifecycle import LIVE_STATUSES, TERMINAL_STATUSES, status_at
from bctrl_tools.sandbox.records import render_record

DEFAULT_LIMIT = 50
# Larger limits are lowered to this, not refused: the real maximum is not documented.
MAX_LIMIT = 100
INCLUDABLE = ("request", "result", "error")
STATUSES = tuple(sorted(LIVE_STATUSES | TERMINAL_STATUSES))
ORDERS = ("asc", "desc")
EXECUTION_MODES = ("inline", "durable")
_CURSOR_PREFIX = "seq:"


@dataclass(frozen=True)
class ListQuery:
    statuses: frozenset[str] | None
    limit: int
    after: int | None  # the sequence number the cursor points past
    descending: bool
    execution_mode: str | None
    include: frozenset[str]


def parse_list_query(params: Sequence[tuple[str, str]]) -> ListQuery:
    """Check the query string (as its key/value pairs); unknown keys are ignored."""
    statuses = _values(params, "status", STATUSES)
    order = _single(params, "order", ORDERS) or "asc"
    return ListQuery(
        statuses=frozenset(statuses) if statuses else None,
        limit=_limit(_single(params, "limit", None)),
        after=_cursor(_single(params, "cursor", None)),
        descending=order == "desc",
        execution_mode=_single(params, "executionMode", EXECUTION_MODES),
        include=frozenset(_values(params, "include", INCLUDABLE)),
    )


def list_page(invocations: Iterable[StoredInvocation], query: ListQuery, now: int) -> JsonObject:
    """`{commands, nextCursor}`: up to `limit` matching items after the cursor, in order."""
    items: list[JsonObject] = []
    for inv in _after_cursor(invocations, query):
        if query.statuses is not None and status_at(inv, now) not in query.statuses:
            continue
        record = render_record(inv, now)
        if query.execution_mode not in (None, record["executionMode"]):
            continue
        if len(items) == query.limit:
            # One more match exists, so there is a next page; it starts after the last item.
            return {"commands": items, "nextCursor": encode_cursor(items[-1]["sequenceNo"])}
        items.append(_without_heavy_fields(record, query.include))
    return {"commands": items, "nextCursor": None}


def encode_cursor(sequence_no: int) -> str:
    raw = f"{_CURSOR_PREFIX}{sequence_no}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after_cursor(
    invocations: Iterable[StoredInvocation], query: ListQuery
) -> Iterable[StoredInvocation]:
    after = query.after
    for inv in invocations:
        seq = inv.sequence_no
        if after is None or (seq < after if query.descending else seq > after):
            yield inv


def _without_heavy_fields(record: JsonObject, include: frozenset[str]) -> JsonObject:
    return {key: value for key, value in record.items() if key not in INCLUDABLE or key in include}


def _values(params: Sequence[tuple[str, str]], key: str, allowed: Sequence[str]) -> list[str]:
    values = [part.strip() for name, value in params if name == key for part in value.split(",")]
    for value in values:
        if value not in allowed:
            raise invalid(f"{key} must be one of {', '.join(sorted(allowed))}, got {value!r}", key)
    return list(dict.fromkeys(values))


def _single(
    params: Sequence[tuple[str, str]], key: str, allowed: Sequence[str] | None
) -> str | None:
    values = [value for name, value in params if name == key]
    if not values:
        return None
    if len(values) > 1:
        raise invalid(f"{key} may be given only once", key)
    if allowed is not None and values[0] not in allowed:
        raise invalid(f"{key} must be one of {', '.join(allowed)}, got {values[0]!r}", key)
    return values[0]


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not _is_digits(raw) or int(raw) < 1:
        raise invalid(f"limit must be a positive integer, got {raw!r}", "limit")
    return min(int(raw), MAX_LIMIT)


def _cursor(raw: str | None) -> int | None:
    """The sequence number in a cursor; a position, so valid in either order."""
    if raw is None or raw == "":
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not _is_digits(number):
        raise invalid("cursor is not one this server returned", "cursor")
    return int(number)


def _is_digits(text: str) -> bool:
    # str.isdigit alone accepts digits int() cannot read, such as superscripts.
    return text.isascii() and text.isdigit()
