"""The watchdog behind ``bctrl-tools watch``: poll a run, cancel what breaks a rule.

Each pass lists the run's live invocations, judges each with
:class:`~bctrl_tools.runaway.RunawayRules`, and cancels every rule-breaker through the
caller's ``cancel`` (the shared operations, so guardrails, the cancel budget and the
audit log apply exactly as for any other cancel). The loop knows nothing about HTTP
or terminals: it is given a lister, a canceller and a view, which keeps it testable
and lets the CLI decide how to show it.

It stops:
- after one pass with ``once``;
- when the run has no live invocations left, besides the watchdog's own;
- when :meth:`Watchdog.stop` is called (the CLI calls it on Ctrl-C and SIGTERM),
  at the latest after the pass under way;
- at once when the run is unknown or the key is refused, since polling cannot help.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bctrl_tools.errors import (
    AuthenticationError,
    BctrlError,
    NotFoundError,
    PermissionDeniedError,
)
from bctrl_tools.ids import canonical_id
from bctrl_tools.models import Invocation, InvocationStatus
from bctrl_tools.outcomes import CancelOutcome, Outcome
from bctrl_tools.runaway import RunawayRules, Vitals

__all__ = ["EXIT_FAILED", "EXIT_OK", "PassReport", "Sighting", "WatchView", "Watchdog"]

EXIT_OK, EXIT_FAILED = 0, 1

# How soon a stop is noticed between passes.
_STOP_POLL_SECONDS = 0.1

ListLive = Callable[[], Sequence[Invocation]]
CancelOne = Callable[[str], CancelOutcome]
# Errors no later pass can cure: keep polling and nothing changes.
_HOPELESS = (NotFoundError, AuthenticationError, PermissionDeniedError)
# Outcomes after which this watchdog asks no more about that invocation: a repeat
# would only send the same cancel again (or hit the same guardrail).
_SETTLED = frozenset(
    {
        Outcome.CANCEL_REQUESTED,
        Outcome.CANCELLED,
        Outcome.ALREADY_FINISHED,
        Outcome.NOT_FOUND,
        Outcome.REFUSED,
        Outcome.DRY_RUN,
    }
)


@dataclass(frozen=True)
class Sighting:
    """One live invocation as one pass saw it, and what the pass did about it."""

    invocation: Invocation
    vitals: Vitals
    matched: tuple[str, ...]
    is_self: bool
    action: CancelOutcome | None = None  # a cancel sent (or refused) in this pass
    earlier: CancelOutcome | None = None  # what an earlier pass already did


@dataclass(frozen=True)
class PassReport:
    number: int
    at: float
    rules: RunawayRules
    sightings: list[Sighting] = field(default_factory=list)
    error: str | None = None
    hopeless: bool = False

    @property
    def others_live(self) -> int:
        """Live invocations besides the watchdog's own."""
        return sum(1 for sighting in self.sightings if not sighting.is_self)

    @property
    def actions(self) -> list[CancelOutcome]:
        return [s.action for s in self.sightings if s.action is not None]


class WatchView(Protocol):
    """Where passes are shown: a live table on a terminal, plain lines elsewhere."""

    def show(self, report: PassReport) -> None: ...

    def finish(self, why: str) -> None: ...


class Watchdog:
    def __init__(
        self,
        *,
        rules: RunawayRules,
        list_live: ListLive,
        cancel: CancelOne,
        view: WatchView,
        interval: float,
        once: bool = False,
        self_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not rules.active:
            raise ValueError("The watchdog needs at least one rule to enforce.")
        self.rules = rules
        self._list_live = list_live
        self._cancel = cancel
        self._view = view
        self._interval = interval
        self._once = once
        # Compared in canonical form: BCTRL_INVOCATION_ID may spell the UUID in capitals.
        self._self_key = None if self_id is None else canonical_id(self_id)
        self._clock = clock
        self._stopping = False
        self._settled: dict[str, CancelOutcome] = {}

    def stop(self) -> None:
        """Ask the loop to end; safe from a signal handler or another thread.

        A plain flag, not a threading.Event: setting an Event takes a lock that the
        interrupted main thread may be holding, and a handler that blocks on it hangs.
        """
        self._stopping = True

    def run(self) -> int:
        """Poll until done; the exit status for the CLI."""
        number = 0
        while True:
            number += 1
            report = self.one_pass(number)
            self._view.show(report)
            if report.hopeless:
                self._view.finish(f"stopped: {report.error}")
                return EXIT_FAILED
            if self._once:
                self._view.finish("one pass done (--once)")
                return EXIT_OK if report.error is None else EXIT_FAILED
            if report.error is None and report.others_live == 0:
                self._view.finish("the run has no live invocations left")
                return EXIT_OK
            if self._rest():
                self._view.finish("stopped on request")
                return EXIT_OK

    def _rest(self) -> bool:
        """Sleep out the interval in short slices; True as soon as a stop was asked."""
        deadline = time.monotonic() + self._interval
        while not self._stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(_STOP_POLL_SECONDS, left))
        return True

    def one_pass(self, number: int = 1) -> PassReport:
        now = self._clock()
        try:
            live = list(self._list_live())
        except BctrlError as exc:
            return PassReport(number, now, self.rules, error=str(exc), hopeless=_hopeless(exc))
        sightings = [self._judge(invocation, now) for invocation in live]
        return PassReport(number, now, self.rules, sightings)

    def _judge(self, invocation: Invocation, now: float) -> Sighting:
        vitals = Vitals.of(invocation, now)
        sighting = Sighting(
            invocation=invocation,
            vitals=vitals,
            matched=self.rules.matched(vitals),
            is_self=self._self_key == canonical_id(invocation.id),
            earlier=self._settled.get(invocation.id),
        )
        if not self._should_cancel(sighting):
            return sighting
        outcome = self._cancel(invocation.id)
        if outcome.outcome in _SETTLED:
            self._settled[invocation.id] = outcome
        return dataclasses.replace(sighting, action=outcome)

    def _should_cancel(self, sighting: Sighting) -> bool:
        # Its own invocation is shown but never cancelled: the watchdog would stop
        # watching. One already cancelling needs no second request.
        return (
            bool(sighting.matched)
            and not sighting.is_self
            and sighting.earlier is None
            and sighting.invocation.status != InvocationStatus.CANCELLING
            and not self._stopping
        )


def _hopeless(exc: BctrlError) -> bool:
    return isinstance(exc, _HOPELESS)
