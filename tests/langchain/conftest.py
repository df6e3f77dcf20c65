"""Fixtures for the LangChain face: a clean BCTRL_* environment, respx, live invocations."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from bctrl_tools.ids import EXAMPLE_INVOCATION_ID
from bctrl_tools.sandbox.process import SandboxProcess
from tests.conftest import MOCK_BASE_URL

BASE_URL = MOCK_BASE_URL
RECORDS = Path(__file__).parents[1] / "data" / "records"
CANARY_KEY = "bk_live_CANARY_5d2f9e7a1c"
INVOCATION_ID = EXAMPLE_INVOCATION_ID
LIVE_STATUSES = {"queued", "dispatching", "running"}


def record(status: str, invocation_id: str = INVOCATION_ID) -> dict[str, Any]:
    """A full invocation record (camelCase, as the API sends it) with this status."""
    data: dict[str, Any] = json.loads((RECORDS / "cancelling.json").read_text())
    return {**data, "id": invocation_id, "status": status}


def status_of(sandbox: SandboxProcess, invocation_id: str) -> str:
    """The invocation's status, read over a separate HTTP connection (not the tools)."""
    with sandbox.http_client(timeout=10.0) as http:
        response = http.get(f"/v1/invocations/{invocation_id}")
        response.raise_for_status()
        return str(response.json()["status"])


def start_running(sandbox: SandboxProcess, n: int = 1) -> list[str]:
    """Create ``n`` invocations on the sandbox and wait until all are running."""
    ids = sandbox.create_invocations(n)
    deadline = time.monotonic() + 5.0
    while any(status_of(sandbox, invocation_id) != "running" for invocation_id in ids):
        assert time.monotonic() < deadline, "a sandbox invocation never started running"
        time.sleep(0.02)
    return ids


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer's BCTRL_* variable (key, guardrails) leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("BCTRL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def live_id(sandbox: SandboxProcess) -> str:
    """A new, live (queued, soon running) invocation on the session sandbox; it runs 30 s."""
    return str(sandbox.create_invocation()["id"])


@pytest.fixture
def running_id(sandbox: SandboxProcess) -> str:
    """An invocation on the session sandbox that is already running (about 0.5 s to wait)."""
    [invocation_id] = start_running(sandbox)
    return invocation_id
