"""Listing a run's invocations (``GET /v1/runs/{id}/commands``), read tolerantly.

Documented: the endpoint, its query parameters (``cursor``, ``limit``, ``order``,
``status``, ``executionMode``, ``include``) and the SDK's ``{commands, nextCursor}``.
Inferred, so read leniently here:

- items have the invocation record's shape, and a command id is an invocation id;
- ``status`` and ``include`` are multi-valued, sent as repeated keys;
- a later API generation answers ``{data, nextCursor}``: both envelopes are accepted,
  and an absent or null ``nextCursor`` ends the listing;
- the server may ignore the ``status`` filter: :class:`Pager` filters again;
- neither the default nor the maximum page size is known, and a faulty server could
  answer with a cursor forever: :class:`Pager` caps pages and items, and stops when a
  cursor repeats;
- records can be large (arbitrary step arguments, free-form metadata): a page refused
  for passing the client's size cap is asked for again at half the size.

A run also records runtime actions, which are not invocations: an item that does not
carry most of an invocation record's required fields, or whose id could not be sent
back in a request (more than 64 characters, or characters that would change the URL),
is skipped and counted, never fatal to the listing. An item that does carry them is
read like any record (:meth:`Invocation.read_leniently`): one that drifted from the
documented schema is listed, with its ``schema_warnings``, not hidden from a supervisor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bctrl_tools.errors import InvalidInvocationIdError, InvalidResponseError
from bctrl_tools.ids import check_invocation_id
from bctrl_tools.models import Invocation, InvocationStatus

__all__ = [
    "INCLUDABLE",
    "LIVE_STATUSES",
    "MAX_ITEMS",
    "MAX_PAGES",
    "PAGE_SIZE",
    "InvocationPage",
    "Pager",
    "page_params",
]

LIVE_STATUSES: tuple[InvocationStatus, ...] = (
    InvocationStatus.QUEUED,
    InvocationStatus.DISPATCHING,
    InvocationStatus.RUNNING,
    InvocationStatus.CANCELLING,
)
INCLUDABLE = ("request", "result", "error")
# What we ask per page; a server that sends more per page is cut to what was asked.
PAGE_SIZE = 100
# Without a limit, a listing still ends: a run with more than this is reported cut.
MAX_ITEMS = 10_000
MAX_PAGES = 200
# Real ids are 36-character UUIDs; a longer one is junk, and 500 of them must still fit
# a bounded tool result.
MAX_LISTED_ID_LENGTH = 64


class InvocationPage(BaseModel):
    """One page: the invocations on it, the cursor of the next, and what was skipped."""

    # Built on first use, not on `import bctrl_tools`: most programs never list a run.
    model_config = ConfigDict(frozen=True, defer_build=True)

    items: list[Invocation] = Field(default_factory=list)
    next_cursor: str | None = None
    skipped: int = 0

    @model_validator(mode="before")
    @classmethod
    def _from_envelope(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValueError("a list page is a JSON object")
        raw = data.get("commands", data.get("data"))
        if raw is None and "items" in data:
            return data  # built in Python, not read from the wire
        if not isinstance(raw, list):
            raise ValueError("a list page holds a 'commands' (or 'data') array")
        items, skipped = _invocations(raw)
        cursor = data.get("nextCursor")
        return {
            "items": items,
            # An empty or non-string cursor cannot be sent back, so it ends the listing.
            "next_cursor": cursor if isinstance(cursor, str) and cursor else None,
            "skipped": skipped,
        }


# The fields the documented invocation record requires, as the server names them.
_REQUIRED_KEYS = frozenset(
    field.alias or name for name, field in Invocation.model_fields.items() if field.is_required()
)


def _looks_like_an_invocation(item: object) -> bool:
    # Most of the required fields present (valid or not): an invocation, perhaps drifted.
    # Fewer: another kind of command, skipped without a drift warning in the log.
    return isinstance(item, dict) and 2 * len(_REQUIRED_KEYS & item.keys()) > len(_REQUIRED_KEYS)


def _invocations(raw: Iterable[Any]) -> tuple[list[Invocation], int]:
    items: list[Invocation] = []
    skipped = 0
    for item in raw:
        if not _looks_like_an_invocation(item):
            skipped += 1
            continue
        try:
            invocation = Invocation.read_leniently(item)
            if len(invocation.id) > MAX_LISTED_ID_LENGTH:
                raise InvalidInvocationIdError("too long")
            check_invocation_id(invocation.id)
        except (ValidationError, InvalidInvocationIdError):
            skipped += 1
        else:
            items.append(invocation)
    return items, skipped


def page_params(
    *,
    status: Iterable[str] | None,
    include: Iterable[str] | None,
    limit: int,
    cursor: str | None,
) -> list[tuple[str, str | int]]:
    """The query, with ``status`` and ``include`` as repeated keys."""
    params: list[tuple[str, str | int]] = [("limit", limit)]
    params += [("status", str(value)) for value in dict.fromkeys(status or ())]
    params += [("include", value) for value in dict.fromkeys(include or ())]
    if cursor is not None:
        params.append(("cursor", cursor))
    return params


class Pager:
    """Decides, page by page, what to yield and whether to fetch another (no I/O).

    ``limit`` caps the items yielded (None: ``MAX_ITEMS``); ``status`` keeps only those
    statuses whatever the server sent. After the listing, ``more`` says whether the
    run may hold more than was yielded, and ``cut_short`` why paging stopped early.
    """

    def __init__(
        self,
        *,
        limit: int | None = None,
        status: Iterable[str] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}.")
        self.limit = MAX_ITEMS if limit is None else limit
        self.status = None if status is None else frozenset(str(value) for value in status)
        self.max_pages = max_pages
        self.max_page_size = PAGE_SIZE
        self.cursor: str | None = None
        self.done = False
        self.more = False
        self.cut_short: str | None = None
        self.pages = 0
        self.yielded = 0
        self.skipped = 0
        self._seen: set[str] = set()

    @property
    def page_size(self) -> int:
        return min(self.max_page_size, self.limit - self.yielded)

    def shrink(self, error: BaseException) -> bool:
        """After a page was refused as too large: halve the page size and say to ask
        again, or False when pages of one are too large too (or it was another error)."""
        too_large = isinstance(error, InvalidResponseError) and error.reason == "too_large"
        if not too_large or self.page_size <= 1:
            return False
        self.max_page_size = max(1, self.page_size // 2)
        return True

    def take(self, page: InvocationPage) -> list[Invocation]:
        """The items of ``page`` to yield; updates ``cursor``/``done`` for the next."""
        self.pages += 1
        self.skipped += page.skipped
        wanted = [item for item in page.items if self._wanted(item)]
        room = self.limit - self.yielded
        kept = wanted[:room]
        self.yielded += len(kept)
        self._advance(page.next_cursor, overflow=len(wanted) > len(kept))
        return kept

    def _wanted(self, item: Invocation) -> bool:
        return self.status is None or str(item.status) in self.status

    def _advance(self, next_cursor: str | None, *, overflow: bool) -> None:
        if self.yielded >= self.limit:
            self._finish(more=overflow or next_cursor is not None)
        elif next_cursor is None:
            self._finish(more=False)
        elif next_cursor in self._seen or next_cursor == self.cursor:
            self._finish(more=True, why="the server repeated a cursor")
        elif self.pages >= self.max_pages:
            self._finish(more=True, why=f"stopped after {self.max_pages} pages")
        else:
            if self.cursor is not None:
                self._seen.add(self.cursor)
            self.cursor = next_cursor

    def _finish(self, *, more: bool, why: str | None = None) -> None:
        self.done = True
        self.more = more
        self.cut_short = why
