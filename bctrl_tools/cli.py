"""``bctrl-tools``: cancel and inspect invocations from a shell, over the same core.

    bctrl-tools cancel ID [ID ...] [--wait SECONDS] [--dry-run] [--reason TEXT] [--json]
    bctrl-tools get ID [ID ...] [--json]

Exit status: 0 when every id ended cancel_requested, cancelled or already_finished
(or, under --dry-run, would be cancelled); 1 when any did not; 2 for bad usage or
configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from bctrl_tools.errors import BctrlConfigError, BctrlError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.limits import MAX_BATCH, MAX_WAIT_SECONDS
from bctrl_tools.operations import Operations
from bctrl_tools.outcomes import BatchOutcome, InvocationReport, Outcome

__all__ = ["main"]

EXIT_OK, EXIT_NOT_STOPPED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        guardrails = Guardrails.from_env(
            dry_run=True if args.command == "cancel" and args.dry_run else None
        )
        operations = Operations(guardrails=guardrails, face="cli")
        operations.client  # noqa: B018 - fail on a missing key before any work
    except BctrlConfigError as exc:
        print(f"bctrl-tools: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "cancel":
            return _cancel(operations, args)
        return _get(operations, args)
    finally:
        operations.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bctrl-tools",
        description="Cancel and inspect bctrl invocations. Reads BCTRL_API_KEY, BCTRL_BASE_URL "
        "and the guardrail variables (BCTRL_DRY_RUN, BCTRL_MAX_CANCELS, ...) from the environment.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    cancel = commands.add_parser("cancel", help="request cancellation of invocations")
    cancel.add_argument("ids", nargs="+", metavar="ID", help='invocation ids (UUIDs), or "self"')
    cancel.add_argument(
        "--wait", type=_wait_seconds, default=0, metavar="SECONDS",
        help=f"wait up to SECONDS (0-{MAX_WAIT_SECONDS}) for each to reach cancelled",
    )  # fmt: skip
    cancel.add_argument("--dry-run", action="store_true", help="report, but send no cancel")
    cancel.add_argument("--reason", default="", help="why, for the audit log")
    cancel.add_argument("--json", action="store_true", help="print JSON instead of a table")
    get = commands.add_parser("get", help="show invocations' status and progress")
    get.add_argument("ids", nargs="+", metavar="ID", help='invocation ids (UUIDs), or "self"')
    get.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _wait_seconds(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(f"expected whole seconds from 0 to {MAX_WAIT_SECONDS}")
    return int(raw)


def _cancel(operations: Operations, args: argparse.Namespace) -> int:
    if len(set(args.ids)) > MAX_BATCH:
        print(f"bctrl-tools: give at most {MAX_BATCH} ids at once.", file=sys.stderr)
        return EXIT_USAGE
    with _Progress(len(dict.fromkeys(args.ids)), enabled=not args.json) as progress:
        batch = operations.cancel_many(
            args.ids, wait_seconds=args.wait, reason=args.reason, on_result=progress.advance
        )
    if args.json:
        print(batch.model_dump_json(indent=2))
    else:
        _cancel_table(batch)
    expected = {Outcome.DRY_RUN} if operations.guardrails.dry_run else set()
    ok = all(r.outcome.stopped or r.outcome in expected for r in batch.results)
    return EXIT_OK if ok else EXIT_NOT_STOPPED


def _get(operations: Operations, args: argparse.Namespace) -> int:
    reports: list[InvocationReport] = []
    failures: list[dict[str, str]] = []
    for invocation_id in dict.fromkeys(args.ids):
        try:
            reports.append(operations.get(invocation_id))
        except (BctrlError, ValueError) as exc:
            failures.append({"invocation_id": invocation_id, "error": str(exc)})
    if args.json:
        data: list[dict[str, Any]] = [r.model_dump(mode="json") for r in reports]
        print(json.dumps(data + failures, indent=2))
    else:
        _get_table(reports)
        for failure in failures:
            print(f"{failure['invocation_id']}: {failure['error']}", file=sys.stderr)
    return EXIT_NOT_STOPPED if failures else EXIT_OK


# --- what a person looks at: rich when installed, plain lines otherwise ---------------


_OUTCOME_STYLES = {
    Outcome.CANCEL_REQUESTED: "yellow",
    Outcome.CANCELLED: "green",
    Outcome.ALREADY_FINISHED: "dim",
    Outcome.DRY_RUN: "cyan",
}


def _cancel_table(batch: BatchOutcome) -> None:
    rows = [(r.invocation_id, r.outcome.value, r.status or "", r.message) for r in batch.results]
    styles = [_OUTCOME_STYLES.get(r.outcome, "red") for r in batch.results]
    _print_table(("Invocation", "Outcome", "Status", "Message"), rows, styles, batch.summary)


def _get_table(reports: list[InvocationReport]) -> None:
    rows = [
        (
            r.invocation_id or "",
            r.status or "",
            f"{r.step}/{r.total_steps}" if r.step is not None else "",
            r.current_call or "",
            _seconds(r.running_seconds),
            _seconds(r.heartbeat_age_seconds),
        )
        for r in reports
    ]
    columns = ("Invocation", "Status", "Step", "Call", "Running", "Heartbeat age")
    _print_table(columns, rows, ["" for _ in rows], None)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}s"


def _print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    styles: Sequence[str],
    caption: str | None,
) -> None:
    # Cells hold ids and server text: shown literally, never read as markup or escapes.
    rows = [[_printable(cell) for cell in row] for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:  # the cli extra is not installed: plain text still works
        for row in rows:
            print("  ".join(row))
        if caption:
            print(caption)
        return
    table = Table(*columns, caption=Text(caption) if caption else None)
    for row, style in zip(rows, styles, strict=True):
        table.add_row(*(Text(cell) for cell in row), style=style or None)
    Console().print(table)


def _printable(text: str) -> str:
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class _Progress:
    """A progress bar for batches, only on a terminal and only with rich installed."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._bar: Any = None
        self._task: Any = None
        if not enabled or total < 2 or not sys.stdout.isatty():
            return
        try:
            from rich.progress import Progress
        except ImportError:
            return
        self._bar = Progress(transient=True)
        self._task = self._bar.add_task("Cancelling", total=total)

    def advance(self, _result: object) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


if __name__ == "__main__":
    raise SystemExit(main())
