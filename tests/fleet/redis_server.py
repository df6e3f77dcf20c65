"""A throwaway redis-server on a free loopback port, for the tests and ``make bench``.

It keeps nothing on disk and is always stopped: SIGTERM, then SIGKILL if it lingers.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["MISSING", "RedisServer", "redis_server_path"]

MISSING = (
    "redis-server is not installed, so the shared-guardrail (Redis) tests cannot run. "
    "Install it (apt-get install -y redis-server; .ci/run does this) to test "
    "BCTRL_STATE_URL."
)
STARTUP_SECONDS = 10.0


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


# free_port and the stop below repeat tests/mcp/processes.py on purpose: that module
# imports the MCP SDK, which benchmark 8 (a user of this one) must not load.
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """``with RedisServer() as redis: redis.url`` -- stopped on exit, even on failure."""

    def __init__(self) -> None:
        self.port = _free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="bctrl-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = redis_server_path()
        if binary is None:
            raise RuntimeError(MISSING)
        log = Path(self._dir.name, "redis.log")
        self._process = subprocess.Popen(
            [
                binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self._dir.name,
                "--logfile", str(log),
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{tail}")
            time.sleep(0.02)
        return self

    def answers(self) -> bool:
        """Whether it answers PING (plain RESP over a socket: no client library needed)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it (a clean SIGTERM; the tests' "Redis dies" is :meth:`kill`)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill(self) -> None:
        """Die at once, as a crashed or unplugged Redis would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self._dir.cleanup()
