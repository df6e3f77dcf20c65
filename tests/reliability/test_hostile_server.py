"""Every face against a hostile server: bounded time and memory, no key, typed errors.

One hostile-server process serves the module; each behaviour is chosen by the
invocation id (:func:`behaviour_id`), and every request it received is in its log.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from bctrl_tools import (
    AsyncBctrlClient,
    BctrlClient,
    BctrlTimeoutError,
    ClientSettings,
    InvalidResponseError,
    ServerError,
)
from bctrl_tools import cli as bctrl_cli
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import CancelInvocationTool, GetInvocationTool
from bctrl_tools.operations import Operations
from mcp_server import create_server
from tests.mcp.processes import ROOT, server_env
from tests.reliability.hostile_server import HostileServer, behaviour_id

pytestmark = pytest.mark.integration

KEY = "CANARY-KEY-zz91-doNotLeak-7f3a"
TIMEOUT = 1.0  # each face must answer within this plus a second
CAP = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServer]:
    with HostileServer(tmp_path_factory.mktemp("hostile")) as server:
        yield server


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BCTRL_AUDIT_LOG", "BCTRL_INVOCATION_ID", "BCTRL_CONFIRM", "BCTRL_DRY_RUN"):
        monkeypatch.delenv(name, raising=False)


def settings_for(server: HostileServer, **fields: Any) -> ClientSettings:
    values: dict[str, Any] = {"api_key": KEY, "base_url": server.base_url, "max_retries": 0}
    # A generous timeout unless a test measures the deadline: the machine may be busy.
    return ClientSettings.model_validate({**values, "timeout": 10.0, **fields})


def received(server: HostileServer, name: str) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["behaviour"] == name]


def assert_no_key(*texts: object) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else repr(text)
        assert KEY[:4] not in shown, shown  # not even a fragment


# --- 1. one deadline ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["trickle_headers", "trickle_body"])
def test_the_client_gives_up_at_the_deadline(hostile: HostileServer, name: str) -> None:
    with BctrlClient(settings=settings_for(hostile, timeout=TIMEOUT)) as client:
        started = time.monotonic()
        with pytest.raises(BctrlTimeoutError, match=r"after 1 s"):
            client.get_invocation(behaviour_id(name))
    assert time.monotonic() - started < TIMEOUT + 0.5


@pytest.mark.parametrize("name", ["trickle_headers", "trickle_body"])
async def test_the_async_client_gives_up_at_the_deadline(hostile: HostileServer, name: str) -> None:
    async with AsyncBctrlClient(settings=settings_for(hostile, timeout=TIMEOUT)) as client:
        started = time.monotonic()
        with pytest.raises(BctrlTimeoutError):
            await client.cancel_invocation(behaviour_id(name))
    assert time.monotonic() - started < TIMEOUT + 0.5


def test_a_wait_gets_its_own_length_on_top_of_the_timeout(hostile: HostileServer) -> None:
    with BctrlClient(settings=settings_for(hostile, timeout=TIMEOUT)) as client:
        started = time.monotonic()
        with pytest.raises(BctrlTimeoutError, match=r"after 1\.5 s"):
            client.wait_for_invocation(behaviour_id("trickle_body"), timeout_ms=500)
    assert TIMEOUT + 0.4 < time.monotonic() - started < TIMEOUT + 1.0


def test_every_face_answers_within_the_deadline_plus_a_second(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = behaviour_id("trickle_body")
    elapsed: dict[str, float] = {}

    def timed(face: str, work: Any) -> Any:
        started = time.monotonic()
        result = work()
        elapsed[face] = time.monotonic() - started
        return result

    ops = Operations(settings=settings_for(hostile, timeout=TIMEOUT), guardrails=Guardrails())
    message = timed("langchain", lambda: CancelInvocationTool(operations=ops).invoke(_call(slow)))
    assert message.status == "error"
    assert "Timed out" in message.content

    async def over_mcp() -> Any:
        settings = settings_for(hostile, timeout=TIMEOUT)
        server = create_server(settings=settings, guardrails=Guardrails())
        async with Client(server) as client:
            return await client.call_tool("cancel_invocation", {"invocation_id": slow})

    result = timed("mcp", lambda: anyio.run(over_mcp))
    assert result.is_error
    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    monkeypatch.setenv("BCTRL_BASE_URL", hostile.base_url)
    monkeypatch.setenv("BCTRL_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("BCTRL_MAX_RETRIES", "0")
    assert timed("cli", lambda: bctrl_cli.main(["get", slow])) == 1
    assert "Timed out" in capsys.readouterr().err
    assert all(seconds < TIMEOUT + 1 for seconds in elapsed.values()), elapsed


def _call(invocation_id: str) -> dict[str, Any]:
    args = {"invocation_id": invocation_id}
    return {"type": "tool_call", "id": "c1", "name": "cancel_invocation", "args": args}


# --- 2. a cap on the response ---------------------------------------------------------


@pytest.mark.parametrize("name", ["gzip_bomb", "huge_length", "endless"])
def test_a_huge_answer_is_too_large_and_memory_stays_bounded(
    hostile: HostileServer, name: str
) -> None:
    before = len(received(hostile, name))
    with BctrlClient(settings=settings_for(hostile, timeout=30, max_retries=2)) as client:
        tracemalloc.start()
        try:
            with pytest.raises(InvalidResponseError) as refused:
                client.get_invocation(behaviour_id(name))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert refused.value.reason == "too_large"
    assert "BCTRL_MAX_RESPONSE_BYTES" in str(refused.value)
    assert peak < 3 * CAP, f"peak {peak / 2**20:.1f} MiB"
    assert len(received(hostile, name)) == before + 1  # not retried


async def test_a_gzip_bomb_through_mcp_is_an_error_result(hostile: HostileServer) -> None:
    server = create_server(settings=settings_for(hostile, timeout=30), guardrails=Guardrails())
    async with Client(server) as client:
        result = await client.call_tool(
            "get_invocation", {"invocation_id": behaviour_id("gzip_bomb")}
        )
    assert result.is_error
    assert result.structured_content is not None
    assert "BCTRL_MAX_RESPONSE_BYTES" in result.structured_content["message"]


# --- 3. deeply nested JSON -------------------------------------------------------------


def test_deeply_nested_json_is_a_typed_error(hostile: HostileServer) -> None:
    with BctrlClient(settings=settings_for(hostile)) as client:
        with pytest.raises(InvalidResponseError) as nested:
            client.get_invocation(behaviour_id("nested_ok"))
        with pytest.raises(ServerError, match="HTTP 502") as nested_error:
            client.get_invocation(behaviour_id("nested_error"))
    assert nested.value.reason == "too_deep"
    assert "nested too deeply" in str(nested.value)
    assert "recursion" not in str(nested_error.value).lower()


def test_a_cancel_answered_with_nested_json_is_audited_in_full(
    hostile: HostileServer, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    ops = Operations(settings=settings_for(hostile), guardrails=Guardrails(audit_log=audit))
    outcome = ops.cancel(behaviour_id("nested_ok"), reason="runaway")
    ops.close()
    events = [json.loads(line)["event"] for line in audit.read_text().splitlines()]
    assert events == ["request", "result"]
    assert outcome.error is not None
    assert "nested too deeply" in outcome.message


def test_the_cli_get_prints_no_traceback(hostile: HostileServer) -> None:
    env = server_env(BCTRL_API_KEY=KEY, BCTRL_BASE_URL=hostile.base_url, BCTRL_MAX_RETRIES="0")
    done = subprocess.run(
        [sys.executable, "-m", "bctrl_tools.cli", "get", behaviour_id("nested_ok")],
        capture_output=True, text=True, env=env, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "nested too deeply" in done.stderr


async def test_mcp_json_string_arguments_nested_too_deeply_are_an_input_error(
    hostile: HostileServer,
) -> None:
    server = create_server(settings=settings_for(hostile), guardrails=Guardrails())
    async with Client(server) as client:
        result = await client.call_tool("cancel_invocations", {"invocation_ids": "[" * 5000})
    assert result.is_error
    text = json.dumps(result.model_dump(mode="json"))
    assert "nested too deeply" in text
    assert "recursion" not in text.lower()


# --- 4. redact before truncating ------------------------------------------------------


@pytest.mark.parametrize("offset", range(150, 200))
def test_a_key_straddling_the_cut_leaves_no_fragment(hostile: HostileServer, offset: int) -> None:
    with (
        BctrlClient(settings=settings_for(hostile)) as client,
        pytest.raises(ServerError) as failed,
    ):
        client.get_invocation(behaviour_id(f"straddle_{offset}"))
    assert_no_key(str(failed.value), repr(failed.value), vars(failed.value))


async def test_a_straddling_key_reaches_no_face(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    straddle = behaviour_id("straddle_170")  # the offset the attack pass reported
    ops = Operations(settings=settings_for(hostile), guardrails=Guardrails())
    message = GetInvocationTool(operations=ops).invoke(
        {
            "type": "tool_call",
            "id": "c1",
            "name": "get_invocation",
            "args": {"invocation_id": straddle},
        }
    )
    server = create_server(settings=settings_for(hostile), guardrails=Guardrails())
    async with Client(server) as client:
        result = await client.call_tool("get_invocation", {"invocation_id": straddle})
    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    monkeypatch.setenv("BCTRL_BASE_URL", hostile.base_url)
    monkeypatch.setenv("BCTRL_MAX_RETRIES", "0")
    assert bctrl_cli.main(["get", straddle]) == 1
    printed = capsys.readouterr()
    assert "HTTP 502" in printed.err
    assert_no_key(
        message.content, message.artifact, result.model_dump_json(), printed.out, printed.err
    )


# --- 5. no key in any log record ------------------------------------------------------


def test_an_echoed_key_is_in_no_log_record_of_the_client_or_langchain(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = behaviour_id("echo_key")
    with BctrlClient(settings=settings_for(hostile)) as client, pytest.raises(ServerError):
        client.get_invocation(echo)
    ops = Operations(settings=settings_for(hostile), guardrails=Guardrails())
    message = CancelInvocationTool(operations=ops).invoke(_call(echo))
    assert message.status == "error"
    # The records that would carry it are there, redacted: httpx's status line at INFO,
    # httpcore's response headers at DEBUG.
    names = {record.name for record in caplog.records}
    assert {"httpx", "httpcore.http11"} <= names
    assert "502 Bad Bearer [redacted]" in caplog.text
    assert_no_key(caplog.text, message.content, message.artifact)


async def test_an_echoed_key_is_in_no_async_log_record(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with AsyncBctrlClient(settings=settings_for(hostile)) as client:
        with pytest.raises(ServerError):
            await client.cancel_invocation(behaviour_id("echo_key"))
    assert "[redacted]" in caplog.text
    assert_no_key(caplog.text)


def test_an_echoed_key_is_in_no_line_of_the_cli_at_debug(
    hostile: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    monkeypatch.setenv("BCTRL_BASE_URL", hostile.base_url)
    monkeypatch.setenv("BCTRL_MAX_RETRIES", "0")
    echo = behaviour_id("echo_key")
    assert bctrl_cli.main(["get", echo]) == 1
    assert bctrl_cli.main(["cancel", echo, "--json"]) == 1
    printed = capsys.readouterr()
    assert "502 Bad Bearer [redacted]" in caplog.text
    assert_no_key(caplog.text, printed.out, printed.err)


def test_an_echoed_key_is_in_no_line_of_bctrl_mcp_at_debug(
    hostile: HostileServer, tmp_path: Path
) -> None:
    env = server_env(BCTRL_API_KEY=KEY, BCTRL_BASE_URL=hostile.base_url, BCTRL_MAX_RETRIES="0")
    log_path = tmp_path / "stderr.log"
    echo = behaviour_id("echo_key")

    async def session() -> list[str]:
        with log_path.open("w") as log:
            parameters = StdioServerParameters(
                command=sys.executable, args=["-m", "mcp_server", "--log-level", "debug"],
                env=env, cwd=ROOT,
            )  # fmt: skip
            async with Client(stdio_client(parameters, errlog=log)) as client:
                texts = []
                for tool in ("get_invocation", "cancel_invocation"):
                    result = await client.call_tool(tool, {"invocation_id": echo})
                    texts.append(result.model_dump_json())
                return texts

    texts = anyio.run(session)
    stderr = log_path.read_text()
    assert "[redacted]" in stderr  # the records were there, and were redacted
    assert_no_key(stderr, *texts)


# --- 8. self matched by identity -------------------------------------------------------


def test_self_in_another_case_is_still_cancelled_once_and_last(hostile: HostileServer) -> None:
    own = str(uuid.uuid4())
    siblings = [str(uuid.uuid4()) for _ in range(3)]
    rails = Guardrails(self_invocation_id=own, concurrency=2)
    ops = Operations(settings=settings_for(hostile), guardrails=rails)
    batch = ops.cancel_many(["self", own.upper(), *siblings, siblings[0].upper()])
    ops.close()
    cancels = [
        r["path"].split("/")[3].lower()
        for r in hostile.requests()
        if r["method"] == "POST" and r["path"].split("/")[3].lower() in {own, *siblings}
    ]
    assert len(batch.results) == 4, [r.message for r in batch.results]
    assert sorted(cancels[:-1]) == sorted(siblings), [r.message for r in batch.results]
    assert cancels[-1] == own
    assert len(batch.results) == 4


# --- 9. the audit trail ----------------------------------------------------------------


def test_a_lost_audit_line_is_reported_and_the_cli_exits_non_zero(
    hostile: HostileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit = tmp_path / "audit.jsonl"
    ops = Operations(settings=settings_for(hostile), guardrails=Guardrails(audit_log=audit))
    audit.unlink()
    audit.symlink_to("/dev/full")  # the disk "fills up" after start
    invocation_id = str(uuid.uuid4())
    outcome = ops.cancel(invocation_id)
    ops.close()
    assert outcome.outcome.value == "cancel_requested"  # the cancel still went out
    assert "missing from the audit trail" in outcome.message
    assert any(invocation_id in r["path"] for r in hostile.requests() if r["method"] == "POST")

    def disk_full(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    audit.unlink()
    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    monkeypatch.setenv("BCTRL_BASE_URL", hostile.base_url)
    monkeypatch.setenv("BCTRL_AUDIT_LOG", str(audit))
    monkeypatch.setattr("bctrl_tools.audit._append", disk_full)
    assert bctrl_cli.main(["cancel", str(uuid.uuid4()), "--json"]) == 3
    assert "No space left on device" in capsys.readouterr().out


def test_an_over_long_reason_is_refused_by_the_sdk_and_the_cli(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(hostile.requests())
    ops = Operations(settings=settings_for(hostile), guardrails=Guardrails())
    outcome = ops.cancel(str(uuid.uuid4()), reason="r" * 501)
    with pytest.raises(ValueError, match="at most 500"):
        ops.cancel_many([str(uuid.uuid4())], reason="r" * 501)
    ops.close()
    assert outcome.outcome.value == "failed"
    assert "at most 500" in outcome.message
    monkeypatch.setenv("BCTRL_API_KEY", KEY)
    with pytest.raises(SystemExit) as usage:
        bctrl_cli.main(["cancel", str(uuid.uuid4()), "--reason", "r" * 501])
    assert usage.value.code == 2
    assert "at most 500" in capsys.readouterr().err
    assert len(hostile.requests()) == before  # nothing was sent
