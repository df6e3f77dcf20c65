"""Fixtures shared by every test folder: a real sandbox for the session, and a mocked bctrl."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
import respx

from bctrl_tools import ClientSettings
from bctrl_tools.sandbox.process import SandboxProcess

MOCK_BASE_URL = "https://api.bctrl.test"
SANDBOX_API_KEY = "sandbox-test-key"
SANDBOX_GRACE_MS = 300


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxProcess]:
    """A sandbox server in a subprocess, on a free loopback port, for the whole session.

    Invocations run 30 s unless created with ``run_seconds=``; cancels take 300 ms.
    """
    with SandboxProcess(
        api_key=SANDBOX_API_KEY, run_seconds=30, cancel_grace_ms=SANDBOX_GRACE_MS
    ) as process:
        yield process


@pytest.fixture
def sandbox_settings(sandbox: SandboxProcess) -> ClientSettings:
    """Client settings pointing at the session sandbox, with fast retries."""
    return ClientSettings(api_key=sandbox.api_key, base_url=sandbox.base_url, backoff_base=0.01)


@pytest.fixture
def sandbox_env(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> SandboxProcess:
    """BCTRL_API_KEY and BCTRL_BASE_URL set to the session sandbox, other BCTRL_* cleared."""
    for name in (
        "BCTRL_READ_ONLY",
        "BCTRL_DRY_RUN",
        "BCTRL_ALLOWED_SPACE_IDS",
        "BCTRL_MAX_CANCELS",
        "BCTRL_MAX_CANCELS_WINDOW",
        "BCTRL_STATE_URL",
        "BCTRL_CONFIRM",
        "BCTRL_INVOCATION_ID",
        "BCTRL_AUDIT_LOG",
        "BCTRL_TIMEOUT",
        "BCTRL_MAX_RETRIES",
        "BCTRL_CONCURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BCTRL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("BCTRL_BASE_URL", sandbox.base_url)
    return sandbox


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """bctrl mocked at the httpx transport, at MOCK_BASE_URL: no sockets."""
    with respx.mock(base_url=MOCK_BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the clients' retry back-off instead of sleeping through it."""
    delays: list[float] = []

    async def fake_async_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr("bctrl_tools.client._pause", delays.append)
    monkeypatch.setattr("bctrl_tools.client._sleep", fake_async_sleep)
    return delays


@pytest.fixture(autouse=True)
def every_result_fits_its_output_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every structuredContent an MCP test receives is checked against its tool's schema.

    Whatever the transport (in-process, stdio, HTTP), a test that calls a tool through the
    SDK's ``Client`` gets its result checked here, as a TypeScript-SDK host would check it.
    Tests that never imported the MCP SDK pay nothing.
    """
    if "mcp" not in sys.modules:
        return
    from mcp import Client

    from tests.contract import OUTPUT_SCHEMAS, assert_fits_output_schema

    call_tool = Client.call_tool

    async def checked(self: Client, name: str, *args: Any, **kwargs: Any) -> Any:
        result = await call_tool(self, name, *args, **kwargs)
        content = getattr(result, "structured_content", None)
        if name in OUTPUT_SCHEMAS and content is not None:
            assert_fits_output_schema(name, content)
        elif name in OUTPUT_SCHEMAS:  # a TypeScript-SDK host rejects a success without it
            assert result.is_error, f"{name} answered without structuredContent"
        return result

    monkeypatch.setattr(Client, "call_tool", checked)
