"""Entry point: `python -m bctrl_tools.sandbox` and the `bctrl-sandbox` script."""

from __future__ import annotations

import socket
import sqlite3
import sys
from collections.abc import Sequence

from bctrl_tools.sandbox.app import create_app
from bctrl_tools.sandbox.cli import parse_config
from bctrl_tools.sandbox.config import SandboxConfig
from bctrl_tools.sandbox.seeding import seed_invocations
from bctrl_tools.sandbox.server import announce, base_url, bind_socket, exit_on_signals, serve
from bctrl_tools.sandbox.service import InvocationService
from bctrl_tools.sandbox.store import InvocationStore


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    exit_on_signals()
    try:
        sock = bind_socket(config.host, config.port)
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc}")
    # Bound before the database is touched, so a busy port fails fast and changes nothing.
    try:
        store = InvocationStore.open(config.db_path)
    except sqlite3.Error as exc:
        sock.close()
        return _fail(f"cannot open database {config.db_path!r}: {exc}")
    try:
        _run(config, sock, store)
    finally:
        store.close()
    return 0


def _run(config: SandboxConfig, sock: socket.socket, store: InvocationStore) -> None:
    service = InvocationService(store, config)
    seeded = seed_invocations(service, config.seed)
    url = base_url(config.host, sock)
    serve(
        create_app(service, config),
        sock,
        config,
        on_ready=lambda: announce(url, seeded),
        on_shutdown=service.close,
    )


def _fail(message: str) -> int:
    print(f"bctrl-sandbox: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
