"""Command-line flags of `bctrl-sandbox` / `python -m bctrl_tools.sandbox`."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from bctrl_tools._hosts import is_loopback
from bctrl_tools._version import __version__
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
        formatter_class=_DefaultsShown,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--host", default=DEFAULT_HOST,
        help="address to listen on; any address but loopback needs --api-key",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port; 0 picks a free one")
    storage = parser.add_mutually_exclusive_group()
    storage.add_argument(
        "--db", default=DEFAULT_DB_PATH, metavar="PATH",
        help="SQLite file that keeps invocations across restarts",
    )  # fmt: skip
    storage.add_argument("--memory", action="store_true", help="keep state in memory only")
    parser.add_argument(
        "--api-key", metavar="KEY",
        help=f"the bearer key clients must send (default: {DEFAULT_API_KEY}, allowed on "
        "loopback only)",
    )  # fmt: skip
    parser.add_argument(
        "--run-seconds", type=_non_negative_float, default=30.0, metavar="SECONDS",
        help="how long a created invocation runs before it succeeds",
    )  # fmt: skip
    parser.add_argument(
        "--cancel-grace-ms", type=_non_negative_int, default=500, metavar="MS",
        help="how long a cancelled invocation stays cancelling before it is cancelled",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=_non_negative_int, default=0, metavar="N",
        help="start N running invocations and print their ids",
    )  # fmt: skip
    parser.add_argument(
        "--latency-ms", type=_non_negative_int, default=0, metavar="MS",
        help="delay added to every API answer",
    )  # fmt: skip
    parser.add_argument(
        "--fail-rate", type=_probability, default=0.0, metavar="P",
        help="share of API requests answered 503, from 0 to 1",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default="warning", help="server log level (stderr)"
    )
    return parser


class _DefaultsShown(argparse.HelpFormatter):
    """Each option's help ends with its default, unless it has none worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default is None or action.default == argparse.SUPPRESS or "default" in text:
            return text
        return f"{text} (default: {'off' if action.default is False else '%(default)s'})"


def parse_config(argv: Sequence[str] | None = None) -> SandboxConfig:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.api_key is None and not is_loopback(args.host):
        # Everyone can guess the default key: on a reachable address it would be open.
        parser.error(
            f"refusing to listen on {args.host} with the default API key "
            f"{DEFAULT_API_KEY!r}, which anyone can guess: give --api-key KEY, or listen on "
            f"{DEFAULT_HOST}."
        )
    return SandboxConfig(
        host=args.host,
        port=args.port,
        db_path=MEMORY_DB_PATH if args.memory else args.db,
        api_key=DEFAULT_API_KEY if args.api_key is None else args.api_key,
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
