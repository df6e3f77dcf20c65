"""The list flow: which run to list, and every page of it, within the caps.

Given a run id, or an invocation id (``"self"`` allowed) whose run to list, it yields
the reads it needs as steps (:mod:`bctrl_tools.steps`), so the sync and async drivers
run the same decisions. What it returns is judged and shaped by
:class:`~bctrl_tools.run_report.InvocationList`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bctrl_tools import steps
from bctrl_tools.errors import BctrlError, InvalidResponseError
from bctrl_tools.ids import check_invocation_id, check_run_id
from bctrl_tools.run_listing import LIVE_STATUSES, Pager
from bctrl_tools.run_report import RunListing
from bctrl_tools.steps import Flow

__all__ = ["ONE_RUN", "listing_flow"]

ONE_RUN = (
    'give exactly one of run_id, or invocation_id ("self" for this agent\'s own invocation) '
    "whose run to list"
)


def listing_flow(
    *,
    run_id: str | None,
    invocation_id: str | None,
    status: Iterable[str] | None,
    limit: int | None,
    resolve: Callable[[str], str],
) -> Flow[RunListing]:
    """The run's invocations with these statuses (default: the live ones), up to ``limit``.

    ``limit`` None means every one, up to the pager's cap (the watchdog and the CLI); a
    tool call is held to 1..MAX_LIST_LIMIT by its input model.
    """
    if bool(run_id) == bool(invocation_id):
        raise ValueError(ONE_RUN[0].upper() + ONE_RUN[1:] + ".")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1; got {limit}.")
    wanted = tuple(dict.fromkeys(str(s) for s in (LIVE_STATUSES if status is None else status)))
    if invocation_id:
        anchor = yield from steps.get(check_invocation_id(resolve(invocation_id)))
        run_id = anchor.run_id
        if not run_id:
            raise BctrlError(
                f"bctrl's record of invocation {anchor.id} names no run (runId), so its run "
                "cannot be listed this way; give run_id instead."
            )
    checked = check_run_id(run_id)
    pager = Pager(limit=limit, status=wanted)
    found = []
    while not pager.done:
        try:
            page = yield from steps.list_page(checked, wanted, pager.page_size, pager.cursor)
        except InvalidResponseError as exc:
            if pager.shrink(exc):
                continue
            raise
        found += pager.take(page)
    return RunListing(checked, found, pager.more, pager.cut_short, pager.skipped)
