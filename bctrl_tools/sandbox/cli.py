"""Command-line flags of `bctrl-sandbox` / `python -m bctrl_tools.sandbox`."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from bctrl_tools.sandbox.config import (
    DEFAULT_API_KEY,
    DEFAULT_DB_PATH,
    DEFAULT_HOST,
    DEFAULT_PORT,
    MEMORY_DB_PATH,
    SandboxConfig,
)

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bctrl-sandbox",
        description="Local bctrl-compatible API server for tests, demos and benchmarks.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="0 picks a free port (default %(default)s)"
    )
    storage = parser.add_mutually_exclusive_group()
    storage.add_argument("--db", default=DEFAULT_DB_PATH, help="SQLite file (default %(default)s)")
    storage.add_argument("--memory", action="store_true", help="keep state in memory only")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--run-seconds", type=_non_negative_float, default=30.0)
    parser.add_argument("--cancel-grace-ms", type=_non_negative_int, default=500)
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="N")
    parser.add_argument("--latency-ms", type=_non_negative_int, default=0)
    parser.add_argument("--fail-rate", type=_probability, default=0.0)
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="warning")
    return parser


def parse_config(argv: Sequence[str] | None = None) -> SandboxConfig:
    args = build_parser().parse_args(argv)
    return SandboxConfig(
        host=args.host,
        port=args.port,
        db_path=MEMORY_DB_PATH if args.memory else args.db,
        api_key=args.api_key,
        run_seconds=args.run_seconds,
        cancel_grace_ms=args.cancel_grace_ms,
        seed=args.seed,
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        log_level=args.log_level,
    )


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value
