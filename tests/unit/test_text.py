"""Bounding server text: length caps with a marker, control characters and escapes removed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bctrl_tools.text import MESSAGE_LIMIT, clip, one_line, strip_controls

CONTROL = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}
BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def test_short_text_is_kept_as_is() -> None:
    assert clip("page.click", 120) == "page.click"
    assert one_line("Invocation not found.") == "Invocation not found."


def test_long_text_is_cut_with_a_marker_saying_how_much() -> None:
    clipped = clip("a" * 1000, 100)
    kept = clipped.index(".")
    assert kept >= 80
    assert len(clipped) <= 100
    assert clipped == "a" * kept + f"... [+{1000 - kept:,} chars]"


def test_a_ten_megabyte_message_becomes_one_short_line_quickly() -> None:
    huge = "boom\n" * 2_000_000
    line = one_line(huge)
    assert len(line) <= MESSAGE_LIMIT
    assert "\n" not in line
    assert line.startswith("boom boom")
    assert line.endswith(f"... [+{len(huge) - line.index('.'):,} chars]")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # colours
        ("\x1b]0;new title\x07done", "done"),  # window title
        ("\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\", "click"),  # hyperlink
        ("\x9b2Jcleared", "cleared"),  # C1 CSI
        ("a\u202eb\u2066c", "abc"),  # bidi override and isolate
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("two\nlines\r\nand\ttab", "two lines and tab"),
    ],
)
def test_escapes_and_controls_are_removed(raw: str, shown: str) -> None:
    assert one_line(raw) == shown


def test_strip_controls_keeps_line_breaks_for_multi_line_text() -> None:
    assert strip_controls("a\x1b[1m\nb\tc\x00") == "a\nb\tc"


@given(st.text(), st.integers(min_value=1, max_value=400))
def test_any_text_fits_and_is_clean(raw: str, limit: int) -> None:
    line = one_line(raw, limit)
    assert len(line) <= limit
    assert not (set(line) & (CONTROL | BIDI | {"\n", "\r", "\t"}))
    assert len(clip(raw, limit)) <= limit
    assert clip(raw, limit) == raw or len(raw) > limit


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        clip("text", 0)
