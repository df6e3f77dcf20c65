"""``bctrl-tools list`` and ``bctrl-tools watch``: find a run's runaway work, and stop it.

    bctrl-tools list (RUN_ID | --from INVOCATION_ID) [--status S ...]
        [--running-longer-than 10m] [--heartbeat-older-than 2m] [--min-steps N] [--json]
    bctrl-tools watch (RUN_ID | --from INVOCATION_ID) --max-runtime 10m
        [--stale-heartbeat 2m] [--max-steps N] [--interval 15s] [--dry-run] [--once]

``cli.py`` registers these two subcommands; their logic lives here. Both go through the
shared :class:`~bctrl_tools.operations.Operations`, so ``watch`` cancels with the same
guardrails, budget and audit (face ``cli``) as ``bctrl-tools cancel``.

Exit status of ``list``: 0, or 1 when the run could not be listed, 2 for bad usage.
Exit status of ``watch``: 0 when the run has no live invocations left, after one pass
with ``--once``, or when stopped by Ctrl-C or SIGTERM; 1 when the run cannot be watched
(unknown run, refused key) or a ``--once`` pass failed; 2 for bad usage; 130 when a
second Ctrl-C interrupts a pass.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from bctrl_tools.durations import DurationError, format_duration, parse_duration
from bctrl_tools.errors import BctrlError
from bctrl_tools.models import InvocationStatus
from bctrl_tools.operations import Operations
from bctrl_tools.run_report import ListedInvocation, RunListing, rows_of
from bctrl_tools.runaway import RunawayRules
from bctrl_tools.terminal import Column, print_table, say
from bctrl_tools.watch import Watchdog
from bctrl_tools.watch_view import make_view

__all__ = ["add_list", "add_watch"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
STATUSES = [status.value for status in InvocationStatus]
DEFAULT_INTERVAL = 15.0
MIN_INTERVAL = 0.1  # seconds; a tighter loop would only hammer the API


def add_list(commands: Any) -> None:
    """Register ``list`` on the ``bctrl-tools`` subparsers."""
    parser = commands.add_parser(
        "list",
        help="list a run's invocations (default: live ones) and flag runaway ones",
        description="List a run's invocations; with rule flags, only those breaking any rule.",
    )
    _add_target(parser)
    parser.add_argument(
        "--status", action="append", choices=STATUSES, metavar="STATUS",
        help="repeatable; default: queued, dispatching, running and cancelling",
    )  # fmt: skip
    parser.add_argument("--running-longer-than", type=_duration, metavar="DURATION",
                        help="only those running longer than this (90s, 10m, 1h)")  # fmt: skip
    parser.add_argument("--heartbeat-older-than", type=_duration, metavar="DURATION",
                        help="only those whose last heartbeat is older than this")  # fmt: skip
    parser.add_argument("--min-steps", type=_positive_int, metavar="N",
                        help="only those on step N or later")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run_list)


def add_watch(commands: Any) -> None:
    """Register ``watch`` on the ``bctrl-tools`` subparsers."""
    parser = commands.add_parser(
        "watch",
        help="a watchdog: poll a run and cancel every invocation that breaks a rule",
        description="Poll a run's live invocations every --interval and cancel each one that "
        "runs longer than --max-runtime, has a heartbeat older than --stale-heartbeat, or has "
        "gone past --max-steps. Stops when nothing is live, after --once, or on Ctrl-C.",
    )
    _add_target(parser)
    parser.add_argument("--max-runtime", type=_duration, required=True, metavar="DURATION",
                        help="cancel what runs longer than this (90s, 10m, 1h)")  # fmt: skip
    parser.add_argument("--stale-heartbeat", type=_duration, metavar="DURATION",
                        help="cancel what has not sent a heartbeat for this long")  # fmt: skip
    parser.add_argument("--max-steps", type=_positive_int, metavar="N",
                        help="cancel what has gone past step N")  # fmt: skip
    parser.add_argument("--interval", type=_interval, default=DEFAULT_INTERVAL, metavar="DURATION",
                        help="time between passes (default 15s)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="report, but send no cancel")
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.set_defaults(run=run_watch)


def _add_target(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the run (a UUID)")
    target.add_argument(
        "--from", dest="from_invocation", metavar="INVOCATION_ID",
        help='an invocation whose run to use; "self" means BCTRL_INVOCATION_ID',
    )  # fmt: skip


# --- list ---------------------------------------------------------------------------------


def run_list(operations: Operations, args: argparse.Namespace) -> int:
    rules = RunawayRules(args.running_longer_than, args.heartbeat_older_than, args.min_steps)
    try:
        listing = operations.run_listing(
            args.run_id, invocation_id=args.from_invocation, status=args.status
        )
    except (BctrlError, ValueError) as exc:
        say(f"bctrl-tools list: {exc}", err=True)
        return EXIT_FAILED
    rails = operations.guardrails
    rows = rows_of(
        listing,
        rules,
        now=time.time(),
        self_id=rails.self_invocation_id,
        allowed_spaces=rails.allowed_space_ids,
    )
    if args.json:
        print(_json(listing, rules, rows))
    else:
        _table(rows, _caption(listing, rules, rows))
    return EXIT_OK


def _json(listing: RunListing, rules: RunawayRules, rows: list[ListedInvocation]) -> str:
    data = {
        "run_id": listing.run_id,
        "rules": rules.describe(),
        "more": listing.more,
        "skipped": listing.skipped,
        "items": [row.model_dump(mode="json") for row in rows],
    }
    # ensure_ascii: every character the server sent arrives as an escape, never raw.
    return json.dumps(data, indent=2, ensure_ascii=True)


def _caption(listing: RunListing, rules: RunawayRules, rows: list[ListedInvocation]) -> str:
    flagged = sum(1 for row in rows if row.runaway)
    more = "; more may exist" if listing.more else ""
    because = f" ({listing.cut_short})" if listing.cut_short else ""
    rule_text = f", {flagged} breaking {rules.describe()}" if rules.active else ""
    return f"run {listing.run_id}: {len(rows)} listed{rule_text}{more}{because}"


_COLUMNS = (
    Column("Invocation", whole=True),
    Column("Status", whole=True),
    Column("Step", whole=True, drop=4),
    Column("Call", drop=1),
    Column("Running", whole=True, drop=3),
    Column("Heartbeat", whole=True, drop=2),
    Column("Breaks"),
    Column("Note", drop=5),
)


def _table(rows: list[ListedInvocation], caption: str) -> None:
    cells = [
        [
            row.id,
            row.status,
            row.step or "",
            row.current_call or "",
            _age(row.age_seconds),
            _age(row.heartbeat_age_seconds),
            ", ".join(row.runaway),
            _note(row),
        ]
        for row in rows
    ]
    styles = ["red" if row.runaway else "" for row in rows]
    print_table(_COLUMNS, cells, styles=styles, caption=caption)


def _note(row: ListedInvocation) -> str:
    notes = ["this invocation" if row.is_self else "", "" if row.cancellable else "other space"]
    return ", ".join(note for note in notes if note)


def _age(seconds: int | None) -> str:
    return "" if seconds is None else format_duration(seconds)


# --- watch --------------------------------------------------------------------------------


def run_watch(operations: Operations, args: argparse.Namespace) -> int:
    max_steps = args.max_steps
    rules = RunawayRules(
        running_longer_than_seconds=args.max_runtime,
        heartbeat_older_than_seconds=args.stale_heartbeat,
        # --max-steps N is broken by step N + 1: the rule matches "on step >= N + 1".
        min_steps=None if max_steps is None else max_steps + 1,
    )
    try:
        run_id = args.run_id or _run_of(operations, args.from_invocation)
        operations.run_listing(run_id, limit=1)  # fail now on an unknown run or a bad key
    except (BctrlError, ValueError) as exc:
        say(f"bctrl-tools watch: {exc}", err=True)
        return EXIT_FAILED
    reason = f"bctrl-tools watch: broke {rules.describe()}"
    view = make_view(sys.stdout)
    dog = Watchdog(
        rules=rules,
        list_live=lambda: operations.run_listing(run_id).invocations,
        cancel=lambda invocation_id: operations.cancel(invocation_id, reason=reason),
        view=view,
        interval=args.interval,
        once=args.once,
        self_id=operations.guardrails.self_invocation_id,
    )
    with _stopping_on_signals(dog):
        try:
            return dog.run()
        except KeyboardInterrupt:  # a second Ctrl-C: stop now, mid-pass
            view.finish("interrupted")
            return EXIT_INTERRUPTED


def _run_of(operations: Operations, invocation_id: str) -> str:
    invocation = operations.client.get_invocation(operations.resolve(invocation_id))
    if not invocation.run_id:
        raise BctrlError(f"bctrl's record of {invocation.id} names no run: give RUN_ID instead.")
    return invocation.run_id


@contextlib.contextmanager
def _stopping_on_signals(dog: Watchdog) -> Iterator[None]:
    """The first Ctrl-C or SIGTERM ends the watch after the pass under way; a second
    Ctrl-C interrupts at once."""

    def first(signum: int, frame: FrameType | None) -> None:
        dog.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {sig: signal.signal(sig, first) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- arguments ----------------------------------------------------------------------------


def _duration(raw: str) -> float:
    try:
        return parse_duration(raw)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _interval(raw: str) -> float:
    seconds = _duration(raw)
    if seconds < MIN_INTERVAL:
        raise argparse.ArgumentTypeError(f"the interval must be at least {MIN_INTERVAL:g}s")
    return seconds


def _positive_int(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {raw!r}")
    return int(raw)
