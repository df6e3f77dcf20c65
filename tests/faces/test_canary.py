"""A canary API key, pushed through every failure path of every face, is never found.

The sandbox here accepts the canary as its key, so the key really is sent on every
request; a second canary is a wrong key, for the 401 paths.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from bctrl_tools import AsyncBctrlClient, BctrlClient, BctrlError, ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.operations import Operations
from bctrl_tools.sandbox.process import SandboxProcess
from mcp_server import create_server

CANARY = "bk_live_CANARY_every_face_4f1d8b2c"
WRONG_CANARY = "bk_live_CANARY_wrong_key_9a7e3c"
MISSING = str(uuid.uuid4())
BAD_IDS = ["a/b", "..", "\u200bid"]


@pytest.fixture(scope="module")
def canary_sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(api_key=CANARY, run_seconds=60) as process:
        yield process


def assert_clean(*texts: Any) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else repr(text)
        assert CANARY not in shown
        assert WRONG_CANARY not in shown


def settings_for(sandbox: SandboxProcess, key: str = CANARY) -> ClientSettings:
    return ClientSettings(api_key=key, base_url=sandbox.base_url, max_retries=0)


def test_client_errors_and_debug_logs(
    canary_sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BctrlError] = []
    down = ClientSettings(api_key=CANARY, base_url="http://127.0.0.1:9", max_retries=0)
    for settings, invocation_id in [
        (settings_for(canary_sandbox), MISSING),
        (settings_for(canary_sandbox, WRONG_CANARY), MISSING),
        (down, MISSING),
        *((settings_for(canary_sandbox), bad) for bad in BAD_IDS),
    ]:
        with BctrlClient(settings=settings) as client:
            for call in (client.get_invocation, client.cancel_invocation):
                try:
                    call(invocation_id)
                except BctrlError as exc:
                    errors.append(exc)
    assert len(errors) == 12
    assert {r.name for r in caplog.records} >= {"httpx", "httpcore.http11", "bctrl_tools"}
    assert_clean(caplog.text, *[str(e) for e in errors], *[repr(e) for e in errors])
    assert_clean(*[vars(e) for e in errors], *[r.args for r in caplog.records])
    async_client = AsyncBctrlClient(settings=settings_for(canary_sandbox))
    settings = async_client.settings
    assert_clean(repr(async_client), str(async_client), repr(settings), settings.model_dump())


def test_langchain_contents_artifacts_and_audit(
    canary_sandbox: SandboxProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    audit = tmp_path / "audit.jsonl"
    live = canary_sandbox.create_invocation()["id"]
    messages = []
    for key in (CANARY, WRONG_CANARY):
        toolkit = BctrlToolkit(
            api_key=key, base_url=canary_sandbox.base_url, guardrails=Guardrails(audit_log=audit)
        )
        for tool in toolkit.get_tools():
            for args in _arguments(tool.name, live):
                call = {"type": "tool_call", "id": "c1", "name": tool.name, "args": args}
                messages.append(tool.invoke(call))
        assert_clean(repr(toolkit), *[repr(tool) for tool in toolkit.get_tools()])
        toolkit.close()
    assert any(m.status == "error" for m in messages)
    assert any(m.status == "success" for m in messages)
    assert_clean(*[m.content for m in messages], *[m.artifact for m in messages], caplog.text)
    assert_clean(audit.read_text())


async def test_mcp_results_and_audit(
    canary_sandbox: SandboxProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    audit = tmp_path / "audit.jsonl"
    live = canary_sandbox.create_invocation()["id"]
    results = []
    for key in (CANARY, WRONG_CANARY):
        server = create_server(
            settings=settings_for(canary_sandbox, key), guardrails=Guardrails(audit_log=audit)
        )
        async with Client(server) as client:
            for tool in (await client.list_tools()).tools:
                for args in [*_arguments(tool.name, live), {"invocation_id": 7}, {}]:
                    results.append(await client.call_tool(tool.name, args))
    assert any(r.is_error for r in results)
    assert any(not r.is_error for r in results)
    assert_clean(*[r.model_dump_json() for r in results], caplog.text, audit.read_text())


def test_cli_output(canary_sandbox: SandboxProcess, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    live = canary_sandbox.create_invocation()["id"]
    outputs = []
    for key in (CANARY, WRONG_CANARY):
        env = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
        env.update(
            BCTRL_API_KEY=key, BCTRL_BASE_URL=canary_sandbox.base_url, BCTRL_AUDIT_LOG=str(audit)
        )
        for args in (
            ["cancel", MISSING, *BAD_IDS, live],
            ["get", MISSING, "a/b"],
            ["cancel", MISSING, "--json"],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "bctrl_tools.cli", *args],
                capture_output=True, text=True, env=env, timeout=60, check=False,
            )  # fmt: skip
            outputs += [done.stdout, done.stderr]
    assert any("not_found" in text for text in outputs)
    assert_clean(*outputs, audit.read_text())


def _arguments(tool: str, live: str) -> list[dict[str, Any]]:
    if tool == "cancel_invocations":
        return [{"invocation_ids": [MISSING, *BAD_IDS, live]}, {"invocation_ids": [MISSING]}]
    return [{"invocation_id": i} for i in (MISSING, *BAD_IDS, live)]


def test_operations_repr_is_useful_and_clean(canary_sandbox: SandboxProcess) -> None:
    ops = Operations(settings=settings_for(canary_sandbox), guardrails=Guardrails(max_cancels=2))
    ops.cancel(MISSING)
    shown = repr(ops)
    assert shown.startswith("Operations(face='sdk', ")
    assert repr(canary_sandbox.base_url) in shown
    assert "{'max_cancels': 2}" in shown
    assert "cancels_sent='1 of 2'" in shown
    assert_clean(shown, repr(ops.client), repr(vars(ops)))
    ops.close()
