"""``bctrl-tools``: cancel and inspect invocations from a shell, over the same core.

    bctrl-tools cancel ID [ID ...] [--wait SECONDS] [--dry-run] [--reason TEXT] [--json]
    bctrl-tools get ID [ID ...] [--json]
    bctrl-tools list (RUN_ID | --from ID) [filters] [--json]       (see runs_cli.py)
    bctrl-tools watch (RUN_ID | --from ID) --max-runtime 10m ...  (see runs_cli.py)
    bctrl-tools --version

Subcommands are registered in one place, ``_parser``: a module adds its own with a
function that takes the subparsers and sets ``run`` on its parser.

Exit status: 0 when every id ended cancel_requested, cancelled or already_finished
(or, under --dry-run, would be cancelled); 1 when any did not; 2 for bad usage or
configuration; 3 when the audit log (BCTRL_AUDIT_LOG) could not be written after start:
the cancels were still sent, but not every decision is on record.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bctrl_tools._version import __version__
from bctrl_tools.errors import BctrlConfigError, BctrlError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.limits import MAX_REASON_LENGTH, MAX_WAIT_SECONDS, check_reason
from bctrl_tools.operations import Operations
from bctrl_tools.outcomes import BatchOutcome, InvocationReport, Outcome
from bctrl_tools.runs_cli import add_list, add_watch
from bctrl_tools.terminal import Column, print_table, safe_json, say

__all__ = ["main"]

EXIT_OK, EXIT_NOT_STOPPED, EXIT_USAGE, EXIT_AUDIT_LOST = 0, 1, 2, 3

# A subcommand: what it does with the shared operations and its parsed arguments.
Run = Callable[[Operations, argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        guardrails = Guardrails.from_env(
            dry_run=True if getattr(args, "dry_run", False) else None,
            flags={"dry_run": "--dry-run"},
        )
        operations = Operations(guardrails=guardrails, face="cli")
        operations.client  # noqa: B018 - fail on a missing key before any work
    except BctrlConfigError as exc:
        say(f"bctrl-tools: {exc}", err=True)
        return EXIT_USAGE
    run: Run = args.run
    try:
        return run(operations, args)
    finally:
        operations.close()


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: an unknown flag after it is reported with its own usage."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}")
        return parsed, unknown


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bctrl-tools",
        description="Cancel and inspect bctrl invocations. Reads BCTRL_API_KEY, BCTRL_BASE_URL "
        "and the guardrail variables (BCTRL_DRY_RUN, BCTRL_MAX_CANCELS, ...) from the environment.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser
    )
    # The one place subcommands are registered: each adds its parser and sets `run`.
    for register in (_add_cancel, _add_get, add_list, add_watch):
        register(commands)
    return parser


def _add_cancel(commands: argparse._SubParsersAction[_CommandParser]) -> None:
    cancel = commands.add_parser("cancel", help="request cancellation of invocations")
    cancel.add_argument("ids", nargs="+", metavar="ID", help='invocation ids (UUIDs), or "self"')
    cancel.add_argument(
        "--wait", type=_wait_seconds, default=0, metavar="SECONDS",
        help=f"wait until every id is cancelled, at most SECONDS (0-{MAX_WAIT_SECONDS}) in all: "
        "one deadline for the whole batch, not one per id (default 0: do not wait)",
    )  # fmt: skip
    cancel.add_argument("--dry-run", action="store_true", help="report, but send no cancel")
    cancel.add_argument(
        "--reason", type=_reason, default="", help=f"why, for the audit log (at most "
        f"{MAX_REASON_LENGTH} characters)",
    )  # fmt: skip
    cancel.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cancel.set_defaults(run=_cancel)


def _add_get(commands: argparse._SubParsersAction[_CommandParser]) -> None:
    get = commands.add_parser("get", help="show invocations' status and progress")
    get.add_argument("ids", nargs="+", metavar="ID", help='invocation ids (UUIDs), or "self"')
    get.add_argument("--json", action="store_true", help="print JSON instead of a table")
    get.set_defaults(run=_get)


def _reason(raw: str) -> str:
    try:
        return check_reason(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _wait_seconds(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_WAIT_SECONDS:
        raise argparse.ArgumentTypeError(f"expected whole seconds from 0 to {MAX_WAIT_SECONDS}")
    return int(raw)


def _cancel(operations: Operations, args: argparse.Namespace) -> int:
    with _Progress(len(dict.fromkeys(args.ids)), enabled=not args.json) as progress:
        try:
            batch = operations.cancel_many(
                args.ids, wait_seconds=args.wait, reason=args.reason, on_result=progress.advance
            )
        except ValueError as exc:  # the batch as a whole is refused before anything is sent
            say(f"bctrl-tools cancel: {exc}", err=True)
            return EXIT_USAGE
    if args.json:
        # Every id's outcome and record: the artifact, not what a model is shown.
        print(safe_json(json.dumps(batch.artifact(), indent=2, ensure_ascii=False)))
    else:
        _cancel_table(batch)
    expected = {Outcome.DRY_RUN} if operations.guardrails.dry_run else set()
    ok = all(r.outcome.stopped or r.outcome in expected for r in batch.results)
    if operations.audit.failed_writes:  # each outcome's message already says which
        return EXIT_AUDIT_LOST if ok else EXIT_NOT_STOPPED
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
        data: list[dict[str, Any]] = [r.artifact() for r in reports]
        print(safe_json(json.dumps(data + failures, indent=2, ensure_ascii=False)))
    else:
        if reports:  # a table with no rows says nothing the error lines do not
            _get_table(reports)
        for failure in failures:
            say(f"{failure['invocation_id']}: {failure['error']}", err=True)
    return EXIT_NOT_STOPPED if failures else EXIT_OK


# --- what a person looks at ----------------------------------------------------------


_OUTCOME_STYLES = {
    Outcome.CANCEL_REQUESTED: "yellow",
    Outcome.CANCELLED: "green",
    Outcome.ALREADY_FINISHED: "dim",
    Outcome.DRY_RUN: "cyan",
}


def _cancel_table(batch: BatchOutcome) -> None:
    columns = [
        Column("Invocation", whole=True),
        Column("Outcome", whole=True),
        Column("Status", whole=True, drop=2),
    ]
    columns.append(Column("Message", drop=1))
    rows = [[r.invocation_id, r.outcome.value, r.status or "", r.message] for r in batch.results]
    if any(r.request_id for r in batch.results):  # what support asks for: never cut either
        columns.append(Column("Request", whole=True))
        for row, result in zip(rows, batch.results, strict=True):
            row.append(result.request_id or "")
    styles = [_OUTCOME_STYLES.get(r.outcome, "red") for r in batch.results]
    print_table(columns, rows, styles=styles, caption=batch.summary)


def _get_table(reports: list[InvocationReport]) -> None:
    columns = (
        Column("Invocation", whole=True),
        Column("Status", whole=True),
        Column("Step", whole=True, drop=1),
        Column("Call", drop=4),
        Column("Running", whole=True, drop=2),
        Column("Heartbeat age", whole=True, drop=3),
    )
    rows = [
        (
            r.invocation_id or "",
            r.status or "",
            f"{r.step}/{r.total_steps}" if r.step is not None else "",
            _call_as_sent(r),
            _seconds(r.running_seconds),
            _seconds(r.heartbeat_age_seconds),
        )
        for r in reports
    ]
    print_table(columns, rows)


def _call_as_sent(report: InvocationReport) -> str:
    # The record as received, not the model's cleaned summary: the table shows a person
    # hostile text as visible escapes (print_table makes it safe), not silently dropped.
    progress = (report.record or {}).get("progress") or {}
    return str(progress.get("currentCall") or report.current_call or "")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}s"


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
