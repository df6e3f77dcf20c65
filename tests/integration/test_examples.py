"""The examples a newcomer runs: `make demo` and the supervisor, end to end."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bctrl_tools.sandbox.process import SandboxProcess

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def supervisor_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module("supervisor")


def test_supervisor_finds_and_stops_exactly_the_runaways(supervisor_module: ModuleType) -> None:
    with SandboxProcess(seed=3, cancel_grace_ms=300) as sandbox:
        own = sandbox.seeded_ids[0]
        statuses = supervisor_module.run(sandbox.base_url, sandbox.api_key, own_invocation_id=own)
        runaway = set(sandbox.seeded_runaway_ids.values())
        assert set(statuses) == {*sandbox.seeded_ids, *runaway}
        assert {statuses[i] for i in runaway} <= {"cancelling", "cancelled"}
        with sandbox.http_client() as http:
            for invocation_id in statuses:
                live = http.get(f"/v1/invocations/{invocation_id}").json()["status"]
                if invocation_id in runaway:
                    assert live in {"cancelling", "cancelled"}
                else:
                    assert live in {"queued", "dispatching", "running"}


def test_make_demo_runs_every_face_and_cleans_up() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for section in (
        "1. The typed client",
        "2. A LangChain agent",
        "3. The MCP server",
        "4. A supervisor",
        "2 invocations: 2 cancel requested.",
    ):
        assert section in done.stdout
    assert "cancelled" in done.stdout
    assert "Sandbox stopped. Done." in done.stdout
