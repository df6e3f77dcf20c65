"""Cancelling many: the batch's decisions, written once for the sync and async drivers.

A :class:`BatchPlan` decides the order (duplicates dropped, this agent's own invocation
last), the one deadline every item's wait shares, what a broken item becomes, and how
a result is reported. The drivers in ``operations.py`` only choose the I/O: a thread
pool, or ``asyncio.gather`` under a semaphore.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bctrl_tools.errors import InvalidInvocationIdError
from bctrl_tools.ids import canonical_id
from bctrl_tools.limits import MAX_BATCH, check_reason
from bctrl_tools.outcomes import BatchOutcome, CancelOutcome
from bctrl_tools.steps import Flow

__all__ = ["BatchPlan", "OnResult"]

logger = logging.getLogger("bctrl_tools")

OnResult = Callable[[CancelOutcome], Any]
# (invocation id, wait_seconds, reason, the batch's wait deadline) -> its cancel flow
FlowFactory = Callable[[str, int, str, float | None], Flow[CancelOutcome]]


@dataclass(frozen=True)
class BatchPlan:
    """One batch: which ids, in which order, and what each item's flow is."""

    siblings: list[str]
    own: list[str]
    wait_seconds: int
    wait_until: float  # the monotonic deadline every item's wait shares
    reason: str
    make_flow: FlowFactory
    contain: Callable[[str, Exception], CancelOutcome]
    on_result: OnResult | None

    @classmethod
    def of(
        cls,
        invocation_ids: Iterable[str],
        *,
        resolve: Callable[[str], str],
        own_id: str | None,
        wait_seconds: int,
        reason: str,
        make_flow: FlowFactory,
        contain: Callable[[str, Exception], CancelOutcome],
        on_result: OnResult | None,
    ) -> BatchPlan:
        ids = list(invocation_ids)
        if not 1 <= len(ids) <= MAX_BATCH:
            raise ValueError(f"Give 1 to {MAX_BATCH} invocation ids; got {len(ids)}.")
        check_reason(reason)  # once for the batch, before anything is sent
        # Ids are the same invocation when their canonical forms match, whatever the case.
        distinct: dict[str, str] = {}
        for raw in ids:
            try:
                key = canonical_id(resolve(raw))
            except InvalidInvocationIdError:  # "self" with no own id: refused in its flow
                key = raw
            distinct.setdefault(key, raw)
        own_key = canonical_id(own_id) if own_id else None
        # Stopping itself first would cut the supervisor off before its siblings stop.
        siblings = [raw for key, raw in distinct.items() if key != own_key]
        own = [raw for key, raw in distinct.items() if key == own_key]
        return cls(
            siblings=siblings,
            own=own,
            wait_seconds=wait_seconds,
            # wait_seconds bounds the whole batch's waiting, not each item's.
            wait_until=time.monotonic() + wait_seconds,
            reason=reason,
            make_flow=make_flow,
            contain=contain,
            on_result=on_result,
        )

    def flow(self, invocation_id: str) -> Flow[CancelOutcome]:
        return self.make_flow(invocation_id, self.wait_seconds, self.reason, self.wait_until)

    def broken(self, invocation_id: str, exc: Exception) -> CancelOutcome:
        """What an item that raised becomes: one broken item must not abort the batch."""
        logger.exception("cancelling %r failed unexpectedly", invocation_id, exc_info=exc)
        return self.contain(invocation_id, exc)

    def report(self, result: CancelOutcome) -> None:
        # A failing progress callback must not turn sent cancels into an exception.
        if self.on_result is None:
            return
        try:
            self.on_result(result)
        except Exception:
            logger.exception("on_result failed for %s", result.invocation_id)

    async def areport(self, result: CancelOutcome) -> None:
        """:meth:`report`, awaiting a callback that is async."""
        if self.on_result is None:
            return
        try:
            reported = self.on_result(result)
            if inspect.isawaitable(reported):
                await reported
        except Exception:
            logger.exception("on_result failed for %s", result.invocation_id)

    @staticmethod
    def outcome(siblings: list[CancelOutcome], own: list[CancelOutcome]) -> BatchOutcome:
        return BatchOutcome.of(siblings + own)
