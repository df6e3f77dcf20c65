"""The cancel budget (``BCTRL_MAX_CANCELS``, ``BCTRL_MAX_CANCELS_WINDOW``), wherever it is kept.

By default the budget is counted in this process, as it always was. With
``BCTRL_STATE_URL=redis://host:port/db`` it is counted in Redis instead
(:mod:`bctrl_tools.redis_store`, imported only then), so that every replica pointing
at the same database spends from one budget.

A budget is only ever taken right before a cancel is sent, after every other guardrail
has agreed: a refused cancel spends nothing.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Protocol

from bctrl_tools.durations import format_duration
from bctrl_tools.errors import BctrlError

if TYPE_CHECKING:
    from bctrl_tools.guardrails import Guardrails

__all__ = [
    "Budget",
    "CancelBudget",
    "StoreUnavailable",
    "Verdict",
    "open_budget",
    "spent_message",
]

IN_PROCESS = "this process"


@dataclass(frozen=True)
class Verdict:
    """Whether one cancel may be sent; if not, in how many seconds budget returns.

    ``returns_in`` is None when no budget ever returns (no window is set).
    """

    granted: bool
    returns_in: float | None = None

    def __bool__(self) -> bool:
        return self.granted


class StoreUnavailable(BctrlError):
    """The shared state store could not answer; a cancel that needs it is not sent."""


class Budget(Protocol):
    """At most ``limit`` cancels, per ``window`` seconds when one is set."""

    limit: int | None
    window: float | None
    where: str  # for messages: "this process", or the store's redacted URL
    spent: int  # cancels this process took

    def take(self) -> Verdict: ...

    async def atake(self) -> Verdict: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


class CancelBudget:
    """The budget counted in this process; shared by every tool of one owner."""

    where = IN_PROCESS

    def __init__(self, limit: int | None, window: float | None = None) -> None:
        self.limit = limit
        self.window = window
        self.spent = 0
        # With a window: when each cancel still inside it was taken (monotonic seconds).
        self._taken: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> Verdict:
        """Spend one cancel if any is left."""
        with self._lock:
            if self.limit is None:
                self.spent += 1
                return Verdict(granted=True)
            if self.window is None:
                if self.spent >= self.limit:
                    return Verdict(granted=False)
                self.spent += 1
                return Verdict(granted=True)
            return self._take_in_window(time.monotonic(), self.limit, self.window)

    async def atake(self) -> Verdict:
        return self.take()  # a lock held for microseconds: no need to leave the loop

    def _take_in_window(self, now: float, limit: int, window: float) -> Verdict:
        while self._taken and self._taken[0] <= now - window:
            self._taken.popleft()
        if len(self._taken) < limit:
            self._taken.append(now)
            self.spent += 1
            return Verdict(granted=True)
        if not self._taken:  # a limit of 0: nothing ever returns
            return Verdict(granted=False)
        return Verdict(granted=False, returns_in=self._taken[0] + window - now)

    def close(self) -> None:
        """Nothing to close: the count lives and dies with this process."""

    async def aclose(self) -> None:
        """Nothing to close: the count lives and dies with this process."""


def open_budget(guardrails: Guardrails) -> Budget:
    """The budget the guardrails ask for: in this process, or in the shared store."""
    if guardrails.state_url is None or guardrails.max_cancels is None:
        return CancelBudget(guardrails.max_cancels, guardrails.max_cancels_window)
    from bctrl_tools.redis_store import RedisBudget  # only a shared budget needs redis

    return RedisBudget(guardrails.state_url, guardrails.max_cancels, guardrails.max_cancels_window)


def spent_message(budget: Budget, verdict: Verdict, now: float | None = None) -> str:
    """The refusal when the budget is spent: how much, where it is counted, when it returns."""
    shared = "" if budget.where == IN_PROCESS else f", counted for every replica at {budget.where}"
    if budget.window is None:
        return (
            f"The cancel budget is spent: at most {budget.limit} cancel requests may be sent "
            f"(BCTRL_MAX_CANCELS{shared}), and they have been. Nothing was sent; ask a person "
            "to cancel it, or to raise the budget."
        )
    per = format_duration(budget.window)
    if verdict.returns_in is None:
        returns = "No budget returns while the limit is 0."
    else:
        # Rounded up: "try again at" must not name a second when it is still spent.
        moment = math.ceil((time.time() if now is None else now) + verdict.returns_in)
        at = datetime.fromtimestamp(moment, timezone.utc)
        returns = (
            f"Budget returns in {format_duration(verdict.returns_in)} "
            f"(at {at:%H:%M:%S} UTC); try again then."
        )
    return (
        f"The cancel budget is spent: at most {budget.limit} cancel requests per {per} "
        f"(BCTRL_MAX_CANCELS, BCTRL_MAX_CANCELS_WINDOW{shared}), and they have been. Nothing "
        f"was sent. {returns} Or ask a person to cancel it."
    )
