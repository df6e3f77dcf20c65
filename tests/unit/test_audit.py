"""The audit file: refused at start unless it is a regular file; later failures reported."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from bctrl_tools.audit import AuditLog
from bctrl_tools.errors import BctrlConfigError


def test_a_fifo_is_refused_at_start_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    outcome: list[BaseException | AuditLog] = []

    def start() -> None:
        try:
            outcome.append(AuditLog("sdk", fifo))
        except BaseException as exc:
            outcome.append(exc)

    starting = threading.Thread(target=start, daemon=True)
    starting.start()
    starting.join(5)
    hung = starting.is_alive()
    # Release a writer blocked on the FIFO (the old behaviour), so the test always ends.
    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    starting.join(5)
    assert not hung, "start-up blocked on the FIFO"
    assert isinstance(outcome[0], BctrlConfigError)
    assert "not a regular file" in str(outcome[0])
    assert "BCTRL_AUDIT_LOG" in str(outcome[0])


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_device_is_refused_at_start(device: str) -> None:
    with pytest.raises(BctrlConfigError, match="not a regular file"):
        AuditLog("sdk", Path(device))


def test_a_write_failing_after_start_is_returned_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog("cli", path)
    assert audit.record("request", "id-1") is None
    path.unlink()
    path.symlink_to("/dev/full")  # the disk "fills up" after start
    problem = audit.record("result", "id-1", outcome="cancel_requested")
    assert problem is not None
    assert str(path) in problem
    assert audit.failed_writes == 1


def test_line_separators_are_escaped_and_the_reason_capped(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog("sdk", path)
    tricky = "a\u2028b\u2029c\u0085d\ne"
    audit.record("request", "id-1", reason=tricky)
    audit.record("request", "id-2", reason="r" * 5000)
    raw = path.read_text(encoding="utf-8")
    assert not {"\u2028", "\u2029", "\u0085"} & set(raw)
    lines = raw.splitlines()  # str.splitlines splits on all three: none may be left
    assert len(lines) == 2
    assert json.loads(lines[0])["reason"] == tricky
    assert json.loads(lines[1])["reason"] == "r" * 500


def test_every_request_line_gets_its_result_line_whatever_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bctrl_tools import ClientSettings
    from bctrl_tools.guardrails import Guardrails
    from bctrl_tools.operations import Operations

    path = tmp_path / "audit.jsonl"
    settings = ClientSettings(api_key="key-for-a-bug", base_url="https://api.bctrl.test")
    ops = Operations(settings=settings, guardrails=Guardrails(audit_log=path))

    def bug(invocation_id: str) -> None:
        raise RuntimeError("a bug between the request line and the answer")

    monkeypatch.setattr(ops.client, "cancel_invocation", bug)
    outcome = ops.cancel("3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90", reason="runaway")
    ops.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["request", "result"]
    assert lines[1]["outcome"] == "failed"
    assert "failed unexpectedly (RuntimeError)" in outcome.message
