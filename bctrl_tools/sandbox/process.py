"""Run a sandbox server as a subprocess: the launcher that everything shares.

Tests, `make demo`, examples and benchmarks all start sandboxes through it:

    with SandboxProcess(run_seconds=5, seed=3) as sandbox:
        ids = sandbox.create_invocations(10)
        ...  # point a client at sandbox.base_url with sandbox.api_key
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from bctrl_tools.sandbox.config import DEFAULT_API_KEY, DEFAULT_HOST
from bctrl_tools.sandbox.creating import (
    DEFAULT_STEPS,
    create_invocation,
    create_invocations,
    creation_body,
)
from bctrl_tools.sandbox.readiness import (
    SEEDED_EXTRAS,
    parse_extra_line,
    parse_ready_line,
    parse_seeded_line,
)

__all__ = [
    "DEFAULT_STEPS",
    "SandboxProcess",
    "SandboxStartError",
    "create_invocation",
    "create_invocations",
    "creation_body",
]

_STDERR_TAIL_CHARS = 4000


class SandboxStartError(RuntimeError):
    """The sandbox process exited or stayed silent instead of printing its ready line."""


class SandboxProcess:
    """A sandbox server in a child process: `with SandboxProcess(...) as sandbox: ...`."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        run_seconds: float = 30.0,
        cancel_grace_ms: int = 500,
        seed: int = 0,
        latency_ms: int = 0,
        fail_rate: float = 0.0,
        db_path: str | os.PathLike[str] | None = None,
        host: str = DEFAULT_HOST,
        log_level: str = "warning",
        startup_timeout: float = 20.0,
    ) -> None:
        self.api_key = api_key
        self.run_seconds = run_seconds
        self.cancel_grace_ms = cancel_grace_ms
        self.seed = seed
        self.latency_ms = latency_ms
        self.fail_rate = fail_rate
        self.db_path = None if db_path is None else os.fspath(db_path)
        self.host = host
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.seeded_ids: list[str] = []
        # Under seed > 0: the seeded run, and its long-running and stale-heartbeat invocations.
        self.seeded_run_id: str | None = None
        self.seeded_runaway_ids: dict[str, str] = {}
        self._base_url: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    # -- lifecycle -----------------------------------------------------------

    def command(self) -> list[str]:
        storage = ["--memory"] if self.db_path is None else ["--db", self.db_path]
        return [
            sys.executable, "-m", "bctrl_tools.sandbox",
            "--host", self.host, "--port", "0", *storage,
            "--api-key", self.api_key,
            "--run-seconds", str(self.run_seconds),
            "--cancel-grace-ms", str(self.cancel_grace_ms),
            "--seed", str(self.seed),
            "--latency-ms", str(self.latency_ms),
            "--fail-rate", str(self.fail_rate),
            "--log-level", self.log_level,
        ]  # fmt: skip

    def start(self) -> SandboxProcess:
        if self._proc is not None:
            raise RuntimeError("sandbox process already started")
        self._stderr = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the child
            prefix="bctrl-sandbox-", suffix=".stderr", delete=False
        )
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.command(), stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        try:
            self._read_ready_lines()
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`; returns the exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._cleanup()
        return proc.returncode

    def kill(self) -> int | None:
        """SIGKILL at once, as a crash would (used to test persistence)."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        self._cleanup()
        return proc.returncode

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what the process exposes ---------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("sandbox process is not started")
        return self._base_url

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("sandbox process is not started")
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client with this sandbox's base URL and API key."""
        return httpx.Client(base_url=self.base_url, headers=self.auth_headers, **kwargs)

    def stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        return Path(self._stderr.name).read_text(errors="replace")

    def create_invocation(self, **options: Any) -> dict[str, Any]:
        """Create one invocation; options as for the module-level `create_invocation`."""
        return create_invocation(self.base_url, self.api_key, **options)

    def create_invocations(self, n: int, **options: Any) -> list[str]:
        return create_invocations(self.base_url, self.api_key, n, **options)

    # -- internals --------------------------------------------------------------

    def _pump_stdout(self) -> None:
        # Reads until EOF so the child can never block on a full stdout pipe.
        assert self._proc is not None
        assert self._proc.stdout is not None
        with self._proc.stdout as stdout:  # closed at EOF, so no ResourceWarning
            for line in stdout:
                self._lines.put(line)
        self._lines.put(None)

    def _read_ready_lines(self) -> None:
        url = parse_ready_line(self._next_line())
        if url is None:
            raise self._start_error("first line of output was not the ready line")
        for _ in range(self.seed):
            seeded = parse_seeded_line(self._next_line())
            if seeded is None:
                raise self._start_error("expected a 'seeded <id>' line")
            self.seeded_ids.append(seeded)
        if self.seed:
            self._read_seeded_extras()
        self._base_url = url

    def _read_seeded_extras(self) -> None:
        for name in SEEDED_EXTRAS:
            value = parse_extra_line(self._next_line(), name)
            if value is None:
                raise self._start_error(f"expected a '{name} <id>' line")
            if name == "seeded-run":
                self.seeded_run_id = value
            else:
                self.seeded_runaway_ids[name.removeprefix("seeded-")] = value

    def _next_line(self) -> str:
        try:
            line = self._lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            raise self._start_error(f"no output within {self.startup_timeout:g} s") from None
        if line is None:
            raise self._start_error("process exited before it was ready")
        return line

    def _start_error(self, reason: str) -> SandboxStartError:
        assert self._proc is not None
        code = self._proc.poll()
        stderr = self.stderr_text()[-_STDERR_TAIL_CHARS:]
        return SandboxStartError(
            f"bctrl sandbox failed to start ({reason}; exit code {code}).\n"
            f"command: {' '.join(self.command())}\nstderr:\n{stderr}"
        )

    def _cleanup(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            Path(self._stderr.name).unlink(missing_ok=True)
            self._stderr = None
