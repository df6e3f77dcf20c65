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


def test_supervisor_cancels_exactly_the_runaways(
    sandbox: SandboxProcess, supervisor_module: ModuleType
) -> None:
    reports = supervisor_module.run(sandbox.base_url, sandbox.api_key)
    statuses = sorted(report["status"] for report in reports.values())
    assert statuses == ["cancelled"] * 3 + ["succeeded"] * 3
    with sandbox.http_client() as http:
        for invocation_id, report in reports.items():
            live = http.get(f"/v1/invocations/{invocation_id}").json()
            assert live["status"] == report["status"]


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
    ):
        assert section in done.stdout
    assert "cancelled" in done.stdout
    assert "Sandbox stopped. Done." in done.stdout
