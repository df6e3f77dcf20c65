"""The compact invocation summary: every field a supervisor needs, bounded whatever the record."""

from __future__ import annotations

import json

from bctrl_tools.models import Invocation
from bctrl_tools.summary import InvocationSummary, human_size, not_shown, parse_timestamp
from bctrl_tools.text import MESSAGE_LIMIT, NAME_LIMIT
from tests.huge import huge, normal

NOW = 1_764_339_000.0  # 2025-11-28T14:10:00Z


def summary(record: dict[str, object], now: float = NOW) -> InvocationSummary:
    return InvocationSummary.of(Invocation.model_validate(record), now)


def test_a_normal_record_keeps_what_a_supervisor_needs() -> None:
    shown = summary(normal("failed"))
    assert shown.id == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    assert shown.status == "failed"
    assert shown.is_terminal
    assert shown.run_id == "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
    assert shown.runtime_id == "0e1d2c3b-4a59-4687-b6a5-c4d3e2f1a0b9"
    assert shown.space_id == "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
    assert shown.entry_call == "page.goto"
    assert (shown.step, shown.total_steps, shown.current_call) == (2, 2, "page.clik")
    assert shown.started_at == "2026-11-28T14:10:00.250Z"
    assert shown.finished_at == "2026-11-28T14:10:03.750Z"
    assert shown.duration_seconds == 3.5
    assert shown.heartbeat_age_seconds is None  # finished: no heartbeat to wait for
    assert shown.error_code == "UNKNOWN_CALL"
    assert shown.error_message == "Step 1 failed: Unknown call 'page.clik'"
    assert shown.not_shown == "request: 2 steps (186 B); result: 2 step results (896 B); " + (
        "error details (11 B)"
    )


def test_a_running_record_has_its_age_and_heartbeat() -> None:
    record = normal("cancelling")
    started = parse_timestamp(record["startedAt"])
    beat = parse_timestamp(record["lastHeartbeatAt"])
    assert started is not None
    assert beat is not None
    shown = summary(record, now=beat + 30)
    assert shown.duration_seconds == round(beat + 30 - started, 3)
    assert shown.heartbeat_age_seconds == 30.0
    assert shown.cancel_requested_at == "2026-11-28T14:09:47.331Z"


def test_a_huge_hostile_record_is_summarised_small_and_clean() -> None:
    shown = summary(huge())
    dumped = json.dumps(shown.model_dump(mode="json"), ensure_ascii=False)
    assert len(dumped) < 2_000
    assert shown.not_shown is not None
    assert shown.not_shown.startswith("request: 3000 steps (")
    assert "result: 3000 step results (2.6 MB)" in shown.not_shown
    assert "metadata: 2 keys (1.0 MB)" in shown.not_shown
    for name in ("entry_call", "current_call", "error_code"):
        value = getattr(shown, name)
        assert len(value) <= NAME_LIMIT
        assert "\x1b" not in value
        assert "\u202e" not in value
    assert shown.error_message is not None
    assert len(shown.error_message) <= MESSAGE_LIMIT
    assert shown.error_message.startswith("boom boom")
    assert "\n" not in shown.error_message


def test_nothing_left_out_of_a_minimal_record() -> None:
    assert not_shown(normal("minimal")) is None


def test_human_sizes() -> None:
    assert [human_size(n) for n in (812, 2_100, 1_400_000)] == ["812 B", "2.1 KB", "1.4 MB"]
