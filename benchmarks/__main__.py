"""``python -m benchmarks [NAME ...] [--quick] [--no-write]``: run, print, write RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import cast

from benchmarks import BENCHMARKS
from benchmarks.machine import describe, now
from benchmarks.report import RESULTS_PATH, load_sections, merge, render
from benchmarks.results import Section, console_table
from benchmarks.servers import Servers

Runner = Callable[[Servers, bool], Section]


def _runner(name: str) -> Runner:
    # Imported on demand: a subset run never imports LangChain or the MCP SDK it skips.
    module = importlib.import_module(f"benchmarks.bench_{name}")
    return cast(Runner, module.run)


def run_one(name: str, servers: Servers, quick: bool) -> Section:
    start = time.perf_counter()
    print(f"== {name}: {BENCHMARKS[name]}", file=sys.stderr, flush=True)
    try:
        section = _runner(name)(servers, quick)
    except Exception as exc:  # one broken benchmark must not lose the others' results
        traceback.print_exc()
        section = Section(name, BENCHMARKS[name], skipped=f"failed: {type(exc).__name__}: {exc}")
    section.seconds = time.perf_counter() - start
    section.measured_at = now()
    print(console_table([section]), file=sys.stderr, flush=True)
    return section


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds: a smoke run (implies --no-write)"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not touch {RESULTS_PATH.name}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    machine = describe()  # before the run: the load average is the machine's, not ours

    start = time.perf_counter()
    with Servers() as servers:
        sections = [run_one(name, servers, args.quick) for name in names]
    print(f"\nall done in {time.perf_counter() - start:.0f} s\n")
    print(console_table(sections))

    # A smoke run's numbers are too thin to replace measured ones.
    if not (args.no_write or args.quick):
        command = "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)
        merged = merge(load_sections(), sections, list(BENCHMARKS))
        RESULTS_PATH.write_text(render(merged, machine, command.strip()))
        print(f"\nwrote {RESULTS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
