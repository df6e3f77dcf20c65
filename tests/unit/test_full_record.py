"""get_invocation's full detail: the record itself, cleaned, within 50,000 characters."""

from __future__ import annotations

import json
from typing import Any

from bctrl_tools.full_record import FULL_LIMIT, STRING_LIMIT, bounded_record
from tests.huge import huge, normal, strings


def size(record: dict[str, Any]) -> int:
    return len(json.dumps(record, separators=(",", ":"), ensure_ascii=False))


def test_a_normal_record_is_shown_whole() -> None:
    record = normal("failed")
    shown = bounded_record(record)
    assert shown.record == record
    assert shown.note is None


def test_a_huge_record_fits_and_keeps_its_shape_and_first_steps() -> None:
    record = huge(steps=3000)
    shown = bounded_record(record)
    assert size(shown.record) <= FULL_LIMIT
    assert set(shown.record) == set(record)  # every key is still there
    assert shown.record["id"] == record["id"]
    for part in ("request", "result"):
        steps = shown.record[part]["steps"]
        assert steps[0] == record[part]["steps"][0] or part == "result"
        assert steps[-1].endswith(f"more of 3000 steps omitted to fit {FULL_LIMIT:,} characters")
    assert shown.note is not None
    assert "request: first " in shown.note
    assert "of 3000 steps kept" in shown.note
    assert f"strings cut at {STRING_LIMIT:,} characters" in shown.note


def test_every_string_is_capped_and_clean() -> None:
    shown = bounded_record(huge())
    for text in strings(shown.record):  # not the JSON, which escapes controls as \u001b
        assert len(text) <= STRING_LIMIT
        for bad in ("\x1b", "\x07", "\u202e", "\x00"):
            assert bad not in text
    assert len(shown.record["error"]["message"]) <= STRING_LIMIT
    assert "boom\nboom" in shown.record["error"]["message"]  # lines kept in full detail


def test_deep_nesting_is_cut() -> None:
    shown = bounded_record(huge())
    assert "nested deeper than" in json.dumps(shown.record["metadata"])
    assert shown.note is not None
    assert "nested deeper than" in shown.note


def test_a_part_without_steps_is_replaced_by_a_marker_naming_it() -> None:
    record = normal("minimal") | {"metadata": {f"k{i}": "v" * 1000 for i in range(200)}}
    shown = bounded_record(record)
    assert size(shown.record) <= FULL_LIMIT
    assert shown.record["metadata"].startswith("[metadata omitted to fit 50,000 characters: 200")
    assert shown.note == "metadata omitted (201.9 KB)"


def test_a_smaller_limit_is_kept_too() -> None:
    shown = bounded_record(huge(), limit=8_000)
    assert size(shown.record) <= 8_000
