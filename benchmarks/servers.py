"""The servers benchmarks run against, started once per run and shared.

Every client benchmark runs against two targets: the sandbox (the real protocol, with
uvicorn, starlette and SQLite behind it) and the canned server (no server-side work,
so the client's own cost shows). A target is a base URL, a key and invocation ids.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import httpx

from bctrl_tools.sandbox.process import SandboxProcess, create_invocation
from benchmarks.canned import CannedProcess

Kind = Literal["canned", "sandbox"]
KINDS: tuple[Kind, ...] = ("canned", "sandbox")

API_KEY = "bench-key"
# Long enough that no invocation finishes by itself during a run.
RUN_SECONDS = 3600.0


@dataclass
class Target:
    kind: Kind
    latency_ms: int
    base_url: str
    api_key: str
    pid: int
    ids: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.kind if self.latency_ms == 0 else f"{self.kind} +{self.latency_ms} ms"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def cancel_url(self, invocation_id: str) -> str:
        return f"{self.base_url}/v1/invocations/{invocation_id}/cancel"


class Servers:
    """Starts each (kind, latency) server on first use; :meth:`close` stops them all."""

    def __init__(self) -> None:
        self._targets: dict[tuple[Kind, int], Target] = {}
        self._processes: list[SandboxProcess | CannedProcess] = []

    def target(self, kind: Kind, *, latency_ms: int = 0, ids: int = 64) -> Target:
        """A running server with at least ``ids`` invocations that can be cancelled."""
        key = (kind, latency_ms)
        target = self._targets.get(key)
        if target is None:
            target = self._start(kind, latency_ms)
            self._targets[key] = target
        missing = ids - len(target.ids)
        if missing > 0:
            target.ids += _new_ids(target, missing)
        return target

    def _start(self, kind: Kind, latency_ms: int) -> Target:
        if kind == "canned":
            canned = CannedProcess(delay_ms=latency_ms).start()
            self._processes.append(canned)
            return Target(kind, latency_ms, canned.base_url, API_KEY, canned.pid)
        sandbox = SandboxProcess(api_key=API_KEY, run_seconds=RUN_SECONDS, latency_ms=latency_ms)
        sandbox.start()
        self._processes.append(sandbox)
        return Target(kind, latency_ms, sandbox.base_url, sandbox.api_key, sandbox.pid)

    def close(self) -> None:
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()
        self._targets.clear()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _new_ids(target: Target, n: int) -> list[str]:
    if target.kind == "canned":
        return [str(uuid.uuid4()) for _ in range(n)]  # it answers for any id
    # 16 at a time: with injected latency, creating 200 one by one would take seconds.
    with (
        httpx.Client(limits=httpx.Limits(max_connections=16)) as http,
        ThreadPoolExecutor(16) as pool,
    ):
        records = pool.map(
            lambda _: create_invocation(
                target.base_url, target.api_key, client=http, run_seconds=RUN_SECONDS
            ),
            range(n),
        )
        return [str(record["id"]) for record in records]
