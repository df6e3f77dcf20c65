from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bctrl_tools import InvalidInvocationIdError, check_invocation_id
from bctrl_tools.ids import EXAMPLE_INVOCATION_ID, id_segment


def test_a_uuid_passes_unchanged() -> None:
    value = str(uuid.uuid4())
    assert check_invocation_id(value) == value
    assert id_segment(value) == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("a" * 129, "129 characters"),
        (".", "dot segment"),
        ("..", "dot segment"),
        ("abc/def", "'/'"),
        ("abc\\def", "'\\\\'"),
        ("abc?x=1", "'?'"),
        ("abc#frag", "'#'"),
        ("abc%2Fdef", "'%'"),
        ("abc def", "U+0020"),
        ("abc\tdef", "U+0009"),
        ("abc\ndef", "U+000A"),
        ("abc\x00", "U+0000"),
        ("abc\u200bdef", "U+200B"),  # zero-width space
        ("abc\u202edef", "U+202E"),  # right-to-left override
        ("abc\u00a0def", "U+00A0"),  # no-break space
        ("\ufeffabc", "U+FEFF"),  # byte-order mark
    ],
)
def test_ids_that_could_change_the_url_are_refused(value: str, why: str) -> None:
    with pytest.raises(InvalidInvocationIdError, match=re.escape(why)) as caught:
        check_invocation_id(value)
    assert EXAMPLE_INVOCATION_ID in str(caught.value)
    assert "UUID" in str(caught.value)


@pytest.mark.parametrize("value", [None, 42, b"abc", ["id"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidInvocationIdError, match="expected a string"):
        check_invocation_id(value)


def test_the_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="invocation id"):
        check_invocation_id("a/b")


def test_a_long_bad_id_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidInvocationIdError) as caught:
        check_invocation_id("x" * 100 + "/")
    assert "x" * 60 not in str(caught.value)


@given(st.text(max_size=200))
def test_any_accepted_id_is_exactly_one_path_segment(value: str) -> None:
    try:
        segment = id_segment(value)
    except InvalidInvocationIdError:
        return
    assert segment not in {"", ".", ".."}
    assert not set(segment) & set("/\\?# \t\r\n")
    assert unquote(segment) == value
    assert segment.isascii()
