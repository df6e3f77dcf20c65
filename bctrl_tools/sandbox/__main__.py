"""Entry point: `python -m bctrl_tools.sandbox` and the `bctrl-sandbox` script."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bctrl_tools._extras import needs_extra
from bctrl_tools.sandbox.cli import parse_config
from bctrl_tools.sandbox.config import DEFAULT_API_KEY, SandboxConfig

if TYPE_CHECKING:
    import socket

    from bctrl_tools.sandbox.store import InvocationStore


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)  # --help, --version and bad flags need no extra
    # Starlette and uvicorn come with the sandbox extra, which a plain install lacks:
    # both are checked here, before anything starts.
    with needs_extra("bctrl-sandbox", "sandbox"):
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        from bctrl_tools.sandbox.server import bind_socket, exit_on_signals
        from bctrl_tools.sandbox.store import InvocationStore
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
    from bctrl_tools.sandbox.app import create_app
    from bctrl_tools.sandbox.seeding import seed_run
    from bctrl_tools.sandbox.server import announce, base_url, serve
    from bctrl_tools.sandbox.service import InvocationService

    service = InvocationService(store, config)
    seeded = seed_run(service, config.seed)
    healthy = [] if seeded is None else seeded.healthy_ids
    extras = (
        [] if seeded is None else [seeded.run_id, seeded.long_running_id, seeded.stale_heartbeat_id]
    )
    url = base_url(config.host, sock)

    def ready() -> None:
        announce(url, healthy, extras)
        _how_to_point_at(url, config.api_key)

    serve(create_app(service, config), sock, config, on_ready=ready, on_shutdown=service.close)


def _how_to_point_at(url: str, api_key: str) -> None:
    """Lines to copy, so that the CLI and the MCP server talk to this sandbox, not to bctrl.

    On stderr: stdout is the launchers' contract (ready line, seeded ids). A key the
    operator chose is not echoed into logs.
    """
    key = api_key if api_key == DEFAULT_API_KEY else "<the --api-key you gave>"
    print(
        "To use bctrl-tools and bctrl-mcp with this sandbox (and not the real API):\n"
        f"  export BCTRL_BASE_URL={url}\n"
        f"  export BCTRL_API_KEY={key}",
        file=sys.stderr,
        flush=True,
    )


def _fail(message: str) -> int:
    print(f"bctrl-sandbox: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
