"""``bctrl-mcp`` command-line options, and the checks made before anything starts."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bctrl_tools._hosts import is_loopback
from bctrl_tools._version import __version__
from bctrl_tools.guardrails import Guardrails

__all__ = ["ServerOptions", "StartupError", "is_loopback", "parse_options"]

Transport = Literal["stdio", "streamable-http"]
TOKEN_VARIABLE = "BCTRL_MCP_AUTH_TOKEN"  # noqa: S105 - the variable's name, not a token
ALLOWED_HOSTS_VARIABLE = "BCTRL_MCP_ALLOWED_HOSTS"
# The guardrail switches this command line can set; messages name the flag used.
_FLAGS = {"read_only": "--read-only", "dry_run": "--dry-run", "confirm": "--confirm"}


class StartupError(Exception):
    """The options cannot be served as given; the message says what to change."""


@dataclass(frozen=True)
class ServerOptions:
    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    stateless: bool = False
    auth_token: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    read_only: bool | None = None
    dry_run: bool | None = None
    confirm: bool | None = None
    log_level: str = "WARNING"
    # May carry a Redis password: kept out of the repr.
    state_url: str | None = field(default=None, repr=False)

    def guardrails(self) -> Guardrails:
        """The ``BCTRL_*`` guardrails, with the switches given on the command line winning."""
        # Read-only wins over everything: the flag can switch it on, never off.
        return Guardrails.from_env(
            read_only=self.read_only or None,
            dry_run=self.dry_run,
            confirm=self.confirm,
            state_url=self.state_url,
            flags=_FLAGS,
        )

    def check(self) -> None:
        """Refuse, before starting, a server anyone on the network could use."""
        if not self.path.startswith("/"):
            raise StartupError(f"--path must start with '/', e.g. /mcp; got {self.path!r}.")
        exposed = self.transport == "streamable-http" and not is_loopback(self.host)
        if exposed and not self.auth_token:
            raise StartupError(
                f"Refusing to listen on {self.host} without an auth token: anyone who can "
                f"reach port {self.port} could cancel invocations. Set {TOKEN_VARIABLE} (or "
                "--auth-token), or listen on 127.0.0.1."
            )


def parse_options(argv: Sequence[str] | None = None) -> ServerOptions:
    """Read the command line; the token and extra hosts may also come from the environment."""
    args = _parser().parse_args(argv)
    token = args.auth_token if args.auth_token is not None else os.environ.get(TOKEN_VARIABLE)
    hosts = args.allowed_host or _split(os.environ.get(ALLOWED_HOSTS_VARIABLE, ""))
    return ServerOptions(
        transport=args.transport,
        host=args.host,
        port=args.port,
        path=args.path,
        stateless=args.stateless,
        auth_token=(token or "").strip() or None,
        allowed_hosts=tuple(hosts),
        read_only=args.read_only,
        dry_run=args.dry_run,
        confirm=args.confirm,
        log_level=args.log_level.upper(),
        state_url=args.state_url,
    )


def _split(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bctrl-mcp",
        description=(
            "MCP server that lets an MCP client (Claude Desktop, Claude Code, ...) cancel and "
            "inspect bctrl invocations. Configured from the environment like the client: "
            "BCTRL_API_KEY (required), BCTRL_BASE_URL and the BCTRL_* guardrails."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--transport", choices=["stdio", "streamable-http"], default="stdio",
        help="stdio (default) for a client that starts the server; streamable-http to serve "
        "clients over HTTP",
    )  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="HTTP port (default 8000; 0 picks a free one)"
    )
    parser.add_argument("--path", default="/mcp", help="HTTP endpoint path (default /mcp)")
    parser.add_argument(
        "--stateless", action="store_true",
        help="stateless HTTP with JSON responses, for replicas behind a load balancer",
    )  # fmt: skip
    parser.add_argument(
        "--auth-token", metavar="TOKEN",
        help=f"require 'Authorization: Bearer TOKEN' on every HTTP request; prefer setting "
        f"{TOKEN_VARIABLE}, which other users cannot see in the process list",
    )  # fmt: skip
    parser.add_argument(
        "--allowed-host", action="append", metavar="HOST",
        help="a Host header to accept besides the loopback names and --host (repeatable; or "
        f"comma-separated in {ALLOWED_HOSTS_VARIABLE}); anything else is refused",
    )  # fmt: skip
    parser.add_argument(
        "--read-only", action="store_true", default=None,
        help="offer only the read-only tool; BCTRL_READ_ONLY=1 does the same, and either wins",
    )  # fmt: skip
    _switch(parser, "--dry-run", "report what would be cancelled, cancel nothing (BCTRL_DRY_RUN)")
    _switch(parser, "--confirm", "ask the user before each cancel (BCTRL_CONFIRM)")
    parser.add_argument(
        "--state-url", metavar="URL",
        help="redis://host:port/db shared by every replica: one cancel budget and single-use "
        "confirmations for the fleet (BCTRL_STATE_URL; needs the redis extra)",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", default="warning",
        choices=["debug", "info", "warning", "error"],
        help="stderr log level (default warning; the audit trail is logged at info regardless)",
    )  # fmt: skip
    return parser


def _switch(parser: argparse.ArgumentParser, flag: str, help_text: str) -> None:
    # --x / --no-x; left out, the BCTRL_* variable decides.
    parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
