"""Run the app under uvicorn on a socket we bind ourselves, and announce readiness.

Binding first means `--port 0` can pick a free port and the ready line can name
the real one.
"""

from __future__ import annotations

import copy
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from bctrl_tools.sandbox.config import SandboxConfig
from bctrl_tools.sandbox.readiness import ready_lines

# Bounds the shutdown if a client holds a connection open after the waits are released.
GRACEFUL_SHUTDOWN_SECONDS = 3


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that reports when it is serving and when it starts stopping."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_ready: Callable[[], None],
        on_shutdown: Callable[[], None],
    ) -> None:
        super().__init__(config)
        self._on_ready = on_ready
        self._on_shutdown = on_shutdown

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._on_shutdown()
        await super().shutdown(sockets=sockets)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it Nagle + delayed ACKs add ~40 ms per response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def base_url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def announce(url: str, seeded_ids: Sequence[str], extras: Sequence[str] = ()) -> None:
    """The one stdout contract: the ready line, then the seeded ids (see readiness)."""
    sys.stdout.write("\n".join(ready_lines(url, seeded_ids, extras)) + "\n")
    sys.stdout.flush()


def serve(
    app: Any,
    sock: socket.socket,
    config: SandboxConfig,
    on_ready: Callable[[], None],
    on_shutdown: Callable[[], None],
) -> None:
    uvicorn_config = uvicorn.Config(
        app,
        log_config=_stderr_logging(),
        log_level=config.log_level,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = _AnnouncingServer(uvicorn_config, on_ready, on_shutdown)
    _route_signals_to(server)
    server.run(sockets=[sock])


def _stderr_logging() -> dict[str, Any]:
    """uvicorn's logging, with access logs moved to stderr: stdout is only for the ready line."""
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return log_config


def exit_on_signals() -> None:
    """Until the server runs, SIGINT/SIGTERM end the process quietly with status 0."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _exit_quietly)


def _exit_quietly(signum: int, frame: object) -> None:
    # SystemExit unwinds through `finally` blocks, so the store still gets closed.
    raise SystemExit(0)


def _route_signals_to(server: uvicorn.Server) -> None:
    # uvicorn installs its own SIGINT/SIGTERM handlers only once its loop runs,
    # and after a graceful shutdown re-raises the signal under the handler that
    # was there before. Pointing that handler at the server too means a signal
    # that arrives early still stops it, and one re-raised at the end is
    # absorbed, so SIGTERM/SIGINT end the process with exit status 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
