"""``bctrl-tools list`` and ``bctrl-tools watch`` as real processes against the sandbox."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from bctrl_tools.sandbox.process import SandboxProcess
from tests.integration.helpers import poll_status
from tests.integration.test_cli import run_cli, status_of

pytestmark = pytest.mark.integration


def _environ(sandbox: SandboxProcess, **env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
    environ.update(BCTRL_API_KEY=sandbox.api_key, BCTRL_BASE_URL=sandbox.base_url, COLUMNS="200")
    return environ | env


def _start(sandbox: SandboxProcess, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bctrl_tools.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(sandbox, **env),
    )


def _new_runtime(sandbox: SandboxProcess, **options: Any) -> tuple[str, str]:
    """A first invocation in a fresh runtime: its id and its (fresh) run."""
    record = sandbox.create_invocation(runtime_id=str(uuid.uuid4()), **options)
    return record["id"], record["runId"]


def test_list_shows_the_live_invocations_of_a_run(sandbox: SandboxProcess) -> None:
    first, run_id = _new_runtime(sandbox)
    runtime = sandbox.create_invocation(run_seconds=30, runtime_id=_runtime_of(sandbox, first))
    done = run_cli(sandbox, "list", run_id, "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["run_id"] == run_id
    assert {item["id"] for item in listed["items"]} == {first, runtime["id"]}
    by_from = run_cli(sandbox, "list", "--from", first)
    assert by_from.returncode == 0, by_from.stderr
    assert first in by_from.stdout
    assert runtime["id"] in by_from.stdout
    assert f"run {run_id}: 2 listed" in by_from.stderr


def test_list_with_a_rule_shows_only_the_rule_breakers(sandbox: SandboxProcess) -> None:
    stalled, run_id = _new_runtime(sandbox, run_seconds=30, heartbeat_stops_after_seconds=0)
    healthy = sandbox.create_invocation(run_seconds=30, runtime_id=_runtime_of(sandbox, stalled))
    with sandbox.http_client() as http:
        poll_status(http, stalled, "running")
    time.sleep(2.2)
    done = run_cli(sandbox, "list", run_id, "--heartbeat-older-than", "1s", "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)["items"]
    assert [item["id"] for item in items] == [stalled]
    assert items[0]["runaway"] == ["heartbeat_older_than_seconds"]
    assert healthy["id"] not in done.stdout


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["list"], "one of the arguments RUN_ID --from is required"),
        (["list", "r", "--running-longer-than", "soon"], "is not a duration"),
        (["watch", "r"], "--max-runtime"),
        (["watch", "r", "--max-runtime", "1m", "--interval", "0s"], "at least 0.1s"),
        (["watch", "r", "--max-runtime", "1m", "--max-steps", "0"], "at least 1"),
    ],
)
def test_bad_usage_exits_2_and_says_why(
    sandbox: SandboxProcess, args: list[str], phrase: str
) -> None:
    done = run_cli(sandbox, *args)
    assert done.returncode == 2
    assert phrase in done.stderr


def test_an_unknown_run_exits_1_for_list_and_watch(sandbox: SandboxProcess) -> None:
    missing = str(uuid.uuid4())
    for args in (["list", missing], ["watch", missing, "--max-runtime", "1m"]):
        done = run_cli(sandbox, *args)
        assert done.returncode == 1
        assert "No such run" in done.stderr


def test_the_watchdog_stops_exactly_the_rule_breakers_then_exits_0(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    old, run_id = _new_runtime(sandbox, run_seconds=60)
    runtime_id = _runtime_of(sandbox, old)
    time.sleep(2.5)
    stalled = sandbox.create_invocation(
        runtime_id=runtime_id, run_seconds=60, heartbeat_stops_after_seconds=0
    )["id"]
    # Short and healthy: they finish on their own before reaching any limit.
    healthy = sandbox.create_invocations(2, runtime_id=runtime_id, run_seconds=3)
    audit = tmp_path / "audit.jsonl"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bctrl_tools.cli", "watch", run_id,
         "--max-runtime", "4s", "--stale-heartbeat", "1.5s", "--interval", "0.3s"],
        capture_output=True, text=True, timeout=60, check=False,
        env=_environ(sandbox, BCTRL_AUDIT_LOG=str(audit)),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 30
    assert done.stdout.rstrip().endswith("done: the run has no live invocations left")
    assert f"{old} running_longer_than_seconds: cancel_requested" in done.stdout
    assert f"{stalled} heartbeat_older_than_seconds: cancel_requested" in done.stdout
    assert {status_of(sandbox, i) for i in (old, stalled)} == {"cancelled"}
    assert {status_of(sandbox, i) for i in healthy} == {"succeeded"}
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert {line["face"] for line in lines} == {"cli"}
    assert {line["invocation_id"] for line in lines if line["event"] == "result"} == {
        old,
        stalled,
    }


def test_a_dry_run_pass_cancels_nothing(sandbox: SandboxProcess) -> None:
    invocation_id, run_id = _new_runtime(sandbox, run_seconds=30)
    with sandbox.http_client() as http:
        poll_status(http, invocation_id, "running")
    done = run_cli(sandbox, "watch", run_id, "--max-runtime", "0s", "--dry-run", "--once")
    assert done.returncode == 0, done.stderr
    assert f"{invocation_id} running_longer_than_seconds: dry_run" in done.stdout
    assert status_of(sandbox, invocation_id) == "running"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_watch_cleanly(sandbox: SandboxProcess, sig: signal.Signals) -> None:
    invocation_id, run_id = _new_runtime(sandbox, run_seconds=60)
    process = _start(sandbox, "watch", run_id, "--max-runtime", "1h", "--interval", "30s")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "pass 1: 1 live, 0 breaking rules" in first
        process.send_signal(sig)
        assert process.wait(10) == 0
        rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert "done: stopped on request" in rest
    assert status_of(sandbox, invocation_id) in {"queued", "dispatching", "running"}


def _runtime_of(sandbox: SandboxProcess, invocation_id: str) -> str:
    with sandbox.http_client() as http:
        return str(http.get(f"/v1/invocations/{invocation_id}").json()["runtimeId"])


def test_on_a_terminal_the_watch_is_a_live_table(sandbox: SandboxProcess) -> None:
    invocation_id, run_id = _new_runtime(sandbox, run_seconds=60)
    with sandbox.http_client() as http:
        poll_status(http, invocation_id, "running")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bctrl_tools.cli", "watch", run_id,
         "--max-runtime", "0.5s", "--interval", "0.2s"],
        stdin=slave, stdout=slave, stderr=slave,
        env=_environ(sandbox, TERM="xterm", COLUMNS="160"),
    )  # fmt: skip
    os.close(slave)
    try:
        screen = _read_until(master, b"done: ", timeout=20)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    text = screen.decode(errors="replace")
    assert "┃" in text  # a rich table, not plain lines
    assert f"{invocation_id}: cancel_requested" in text
    assert "done: the run has no live invocations left" in text
    assert status_of(sandbox, invocation_id) == "cancelled"


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
    # The rest of the last line, once the marker is in.
    time.sleep(0.2)
    with contextlib.suppress(OSError):
        while select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen
