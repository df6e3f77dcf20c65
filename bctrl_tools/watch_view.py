"""How ``bctrl-tools watch`` shows its passes: a live rich table on a terminal,
plain timestamped lines when piped or when the ``cli`` extra is not installed.

Server text (calls, messages) is untrusted: it is shown literally, without control
characters and cut to a readable length, never read as rich markup.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from bctrl_tools.durations import format_duration
from bctrl_tools.outcomes import describe_progress
from bctrl_tools.terminal import safe
from bctrl_tools.watch import PassReport, Sighting, WatchView

__all__ = ["LiveView", "PlainView", "make_view"]

_CELL_CHARS = 80
_MESSAGE_CHARS = 200


def make_view(stream: TextIO | None = None) -> WatchView:
    """A live table when ``stream`` is a terminal and rich is installed, else plain lines."""
    stream = stream or sys.stdout
    if stream.isatty():
        try:
            return LiveView(stream)
        except ImportError:
            pass
    return PlainView(stream)


class PlainView:
    """One summary line per pass, one line per cancel sent, one line at the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def show(self, report: PassReport) -> None:
        self._line(f"{_clock(report.at)} pass {report.number}: {_summary(report)}")
        for sighting in report.sightings:
            if sighting.action is not None:
                action = sighting.action
                self._line(
                    f"  {action.invocation_id} {'+'.join(sighting.matched)}: "
                    f"{action.outcome.value}: {_clean(action.message, _MESSAGE_CHARS)}"
                )
            elif sighting.is_self and sighting.matched:
                self._line(f"  {sighting.invocation.id} is this watchdog's own: not cancelled")

    def finish(self, why: str) -> None:
        self._line(f"{_clock(time.time())} done: {_clean(why, _MESSAGE_CHARS)}")

    def _line(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()


class LiveView:
    """A table of the run's live invocations, redrawn each pass; cancels are logged above."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(file=stream)
        self._live = Live(console=self._console, auto_refresh=False, transient=False)
        self._started = False

    def show(self, report: PassReport) -> None:
        if not self._started:
            self._live.start()
            self._started = True
        for action in report.actions:
            self._console.print(
                _text(f"{action.invocation_id}: {action.outcome.value}: {action.message}")
            )
        self._live.update(_table(report), refresh=True)

    def finish(self, why: str) -> None:
        if self._started:
            self._live.stop()
        self._console.print(_text(f"done: {why}"))


def _table(report: PassReport) -> Any:
    from rich.table import Table

    columns = ("Invocation", "Status", "Step", "Call", "Running", "Heartbeat", "Breaks", "Action")
    caption = f"pass {report.number} at {_clock(report.at)}: {_summary(report)}"
    table = Table(*columns, caption=_text(caption))
    for sighting in report.sightings:
        style = "red" if sighting.matched and not sighting.is_self else None
        table.add_row(*(_text(cell) for cell in _row(sighting)), style=style)
    return table


def _row(sighting: Sighting) -> list[str]:
    invocation, vitals = sighting.invocation, sighting.vitals
    progress = invocation.progress
    done = sighting.action or sighting.earlier
    action = done.outcome.value if done else ""
    if sighting.is_self:
        action = "(this watchdog)"
    return [
        invocation.id,
        str(invocation.status),
        describe_progress(
            progress.step if progress else None, progress.total_steps if progress else None, None
        ).removeprefix("step "),
        _clean((progress.current_call if progress else None) or "", _CELL_CHARS),
        _age(vitals.age_seconds),
        _age(vitals.heartbeat_age_seconds),
        ", ".join(sighting.matched),
        action,
    ]


def _summary(report: PassReport) -> str:
    if report.error is not None:
        return f"error: {_clean(report.error, _MESSAGE_CHARS)}"
    flagged = sum(1 for s in report.sightings if s.matched)
    return (
        f"{len(report.sightings)} live, {flagged} breaking rules ({report.rules.describe()}), "
        f"{len(report.actions)} cancels sent"
    )


def _age(seconds: float | None) -> str:
    return "" if seconds is None else format_duration(seconds)


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def _clean(text: str, limit: int) -> str:
    shown = safe(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _text(text: str) -> Any:
    from rich.text import Text

    return Text(_clean(text, 500))
