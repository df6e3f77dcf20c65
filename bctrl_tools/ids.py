"""Checking invocation ids before they go anywhere near a URL.

An id is put into the request path, so anything that could change which URL is
requested (a slash, a query, a dot segment, an encoded byte, invisible characters a
model may have copied along) is refused before a request exists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import NoReturn
from urllib.parse import quote

from bctrl_tools.errors import InvalidInvocationIdError

__all__ = [
    "EXAMPLE_INVOCATION_ID",
    "MAX_INVOCATION_ID_LENGTH",
    "canonical_id",
    "check_invocation_id",
    "check_run_id",
    "id_segment",
]

MAX_INVOCATION_ID_LENGTH = 128
EXAMPLE_INVOCATION_ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"

# The documented shape, checked first: nearly every id is one, and then needs no more.
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
_URL_CHARACTERS = frozenset("/\\?#%")
# Control, format (zero-width and direction marks), surrogate, private-use,
# unassigned and every kind of space or separator.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_WHAT_IS_VALID = (
    "An invocation id is the UUID bctrl returned when the invocation was created, "
    f"e.g. {EXAMPLE_INVOCATION_ID}."
)
_WHAT_RUN_IS_VALID = (
    "A run id is the UUID in an invocation's runId; pass an invocation id instead to list "
    "the run it belongs to."
)


def check_invocation_id(value: object) -> str:
    """Return ``value`` if it is a usable invocation id, else raise ``InvalidInvocationIdError``."""
    return _check(value, "invocation", _WHAT_IS_VALID)


def check_run_id(value: object) -> str:
    """The same checks for a run id (a run's id is put into the URL path the same way)."""
    return _check(value, "run", _WHAT_RUN_IS_VALID)


def _check(value: object, noun: str, what_is_valid: str) -> str:
    if isinstance(value, str) and _UUID.match(value):
        return value
    if not isinstance(value, str):
        _refuse(f"Invalid {noun} id: expected a string, got {type(value).__name__}.", what_is_valid)
    if not value:
        _refuse(f"Invalid {noun} id: it is empty.", what_is_valid)
    if len(value) > MAX_INVOCATION_ID_LENGTH:
        _refuse(
            f"Invalid {noun} id: it is {len(value)} characters long, "
            f"more than the {MAX_INVOCATION_ID_LENGTH} allowed.",
            what_is_valid,
        )
    if value in {".", ".."}:
        _refuse(
            f"Invalid {noun} id {value!r}: a dot segment would change the request URL.",
            what_is_valid,
        )
    for char in value:
        if char in _URL_CHARACTERS:
            _refuse(
                f"Invalid {noun} id {_shown(value)}: it contains {char!r}, "
                "which would change the request URL.",
                what_is_valid,
            )
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            _refuse(
                f"Invalid {noun} id {_shown(value)}: it contains the whitespace, control "
                f"or invisible character U+{ord(char):04X}.",
                what_is_valid,
            )
    return value


def canonical_id(invocation_id: str) -> str:
    """The form two spellings of one id share: a UUID in lowercase, anything else as is.

    Used wherever ids are compared (is this "self"? is it a duplicate?), never to change
    what is sent.
    """
    if isinstance(invocation_id, str) and _UUID.match(invocation_id):
        return invocation_id.lower()
    return invocation_id  # a tool call may pass anything: it is refused later, with a reason


def id_segment(invocation_id: str, check: Callable[[object], str] = check_invocation_id) -> str:
    """Check an id and percent-encode it as exactly one URL path segment."""
    checked = check(invocation_id)
    return checked if _UUID.match(checked) else quote(checked, safe="")


def _shown(value: str) -> str:
    # repr() makes invisible characters visible; long ids are cut to stay readable.
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _refuse(problem: str, what_is_valid: str) -> NoReturn:
    raise InvalidInvocationIdError(f"{problem} {what_is_valid}")
