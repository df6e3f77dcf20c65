"""The watchdog's decisions, pass by pass, with a scripted run and a recording canceller.

The end-to-end test (real CLI, real sandbox, real signals) is in tests/integration.
"""

from __future__ import annotations

import io
import signal
import threading
from collections.abc import Sequence

import pytest

from bctrl_tools.errors import BctrlConnectionError, NotFoundError
from bctrl_tools.models import Invocation
from bctrl_tools.outcomes import CancelOutcome, Outcome
from bctrl_tools.runaway import HEARTBEAT_OLDER_THAN, RUNNING_LONGER_THAN, RunawayRules
from bctrl_tools.watch import EXIT_FAILED, EXIT_OK, PassReport, Watchdog
from bctrl_tools.watch_view import PlainView, make_view
from tests.unit.runs import NOW, record

RULES = RunawayRules(running_longer_than_seconds=600, heartbeat_older_than_seconds=120)


class Run:
    """Answers each pass with the next scripted list (the last one repeats)."""

    def __init__(self, *passes: Sequence[Invocation] | Exception) -> None:
        self.passes = list(passes)
        self.calls = 0

    def __call__(self) -> Sequence[Invocation]:
        answer = self.passes[min(self.calls, len(self.passes) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


class Canceller:
    def __init__(self, outcome: Outcome = Outcome.CANCEL_REQUESTED) -> None:
        self.outcome = outcome
        self.sent: list[str] = []

    def __call__(self, invocation_id: str) -> CancelOutcome:
        self.sent.append(invocation_id)
        return CancelOutcome(invocation_id=invocation_id, outcome=self.outcome, message="ok")


class Recorder:
    def __init__(self) -> None:
        self.reports: list[PassReport] = []
        self.finished: list[str] = []

    def show(self, report: PassReport) -> None:
        self.reports.append(report)

    def finish(self, why: str) -> None:
        self.finished.append(why)


healthy = record(started_ago=30, heartbeat_ago=1)
long_running = record(started_ago=1200, heartbeat_ago=1)
stalled = record(started_ago=300, heartbeat_ago=240)
stopping = record("cancelling", started_ago=5000, heartbeat_ago=5000)
waiting = record("queued", created_ago=10, started_ago=None, heartbeat_ago=None, step=0)


def _dog(run: Run, cancel: Canceller, view: Recorder, **options: object) -> Watchdog:
    return Watchdog(
        rules=RULES,
        list_live=run,
        cancel=cancel,
        view=view,
        interval=0,
        clock=lambda: NOW,
        **options,  # type: ignore[arg-type]
    )


def test_one_pass_cancels_exactly_the_rule_breakers() -> None:
    cancel, view = Canceller(), Recorder()
    run = Run([healthy, long_running, stalled, stopping, waiting])
    assert _dog(run, cancel, view, once=True).run() == EXIT_OK
    assert cancel.sent == [long_running.id, stalled.id]
    report = view.reports[0]
    matched = {s.invocation.id: s.matched for s in report.sightings}
    assert matched[long_running.id] == (RUNNING_LONGER_THAN,)
    assert matched[stalled.id] == (HEARTBEAT_OLDER_THAN,)
    assert matched[healthy.id] == ()
    # Already cancelling: flagged, but no second cancel.
    assert matched[stopping.id] == (RUNNING_LONGER_THAN, HEARTBEAT_OLDER_THAN)
    assert view.finished == ["one pass done (--once)"]


def test_loops_until_the_run_has_nothing_live_and_never_cancels_twice() -> None:
    cancel, view = Canceller(), Recorder()
    run = Run([healthy, long_running], [healthy, long_running], [healthy], [])
    assert _dog(run, cancel, view).run() == EXIT_OK
    assert run.calls == 4
    assert cancel.sent == [long_running.id]
    assert view.reports[1].sightings[1].earlier is not None
    assert view.finished == ["the run has no live invocations left"]


def test_a_failed_cancel_is_tried_again_next_pass() -> None:
    cancel, view = Canceller(Outcome.FAILED), Recorder()
    run = Run([long_running], [long_running], [])
    _dog(run, cancel, view).run()
    assert cancel.sent == [long_running.id, long_running.id]


def test_its_own_invocation_is_shown_never_cancelled_and_not_waited_for() -> None:
    cancel, view = Canceller(), Recorder()
    run = Run([long_running])
    assert _dog(run, cancel, view, self_id=long_running.id.upper()).run() == EXIT_OK
    assert cancel.sent == []
    assert view.reports[0].sightings[0].is_self
    assert view.finished == ["the run has no live invocations left"]


def test_a_passing_network_error_is_shown_and_polling_goes_on() -> None:
    cancel, view = Canceller(), Recorder()
    run = Run(BctrlConnectionError("connection refused"), [long_running], [])
    assert _dog(run, cancel, view).run() == EXIT_OK
    assert view.reports[0].error == "connection refused"
    assert cancel.sent == [long_running.id]


def test_an_unknown_run_ends_the_watch_with_failure() -> None:
    view = Recorder()
    run = Run(NotFoundError("Run not found", status_code=404))
    assert _dog(run, Canceller(), view).run() == EXIT_FAILED
    assert run.calls == 1
    assert view.finished[0].startswith("stopped: ")


def test_once_with_an_error_fails() -> None:
    run = Run(BctrlConnectionError("down"))
    assert _dog(run, Canceller(), Recorder(), once=True).run() == EXIT_FAILED


def test_stop_ends_the_wait_between_passes() -> None:
    view = Recorder()
    dog = Watchdog(
        rules=RULES, list_live=Run([healthy]), cancel=Canceller(), view=view, interval=60
    )
    threading.Timer(0.2, dog.stop).start()
    assert dog.run() == EXIT_OK
    assert view.finished == ["stopped on request"]


def test_a_watchdog_without_rules_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one rule"):
        Watchdog(
            rules=RunawayRules(), list_live=Run([]), cancel=Canceller(), view=Recorder(), interval=1
        )


def test_plain_lines_name_each_cancel_and_strip_control_characters() -> None:
    out = io.StringIO()
    rogue = record(started_ago=1200, heartbeat_ago=1)
    cancel = Canceller()
    Watchdog(
        rules=RULES,
        list_live=Run([rogue, healthy]),
        cancel=lambda i: cancel(i).model_copy(update={"message": "bad\x1b[31m\nline"}),
        view=PlainView(out),
        interval=0,
        once=True,
        clock=lambda: NOW,
    ).run()
    lines = out.getvalue().splitlines()
    assert "2 live, 1 breaking rules" in lines[0]
    assert lines[1].startswith(f"  {rogue.id} {RUNNING_LONGER_THAN}: cancel_requested: bad")
    assert "\x1b" not in out.getvalue()
    assert lines[-1].endswith("done: one pass done (--once)")
    assert len(lines) == 3


def test_a_pipe_gets_plain_lines() -> None:
    assert isinstance(make_view(io.StringIO()), PlainView)


def test_stop_from_a_signal_handler_ends_the_wait() -> None:
    view = Recorder()
    dog = Watchdog(
        rules=RULES, list_live=Run([healthy]), cancel=Canceller(), view=view, interval=60
    )
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: dog.stop())
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        assert dog.run() == EXIT_OK
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert view.finished == ["stopped on request"]
