"""Checking invocation ids before they go anywhere near a URL.

An id is put into the request path, so anything that could change which URL is
requested (a slash, a query, a dot segment, an encoded byte, invisible characters a
model may have copied along) is refused before a request exists.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NoReturn
from urllib.parse import quote

from bctrl_tools.errors import InvalidInvocationIdError

__all__ = [
    "EXAMPLE_INVOCATION_ID",
    "MAX_INVOCATION_ID_LENGTH",
    "canonical_id",
    "check_invocation_id",
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


def check_invocation_id(value: object) -> str:
    """Return ``value`` if it is a usable invocation id, else raise ``InvalidInvocationIdError``."""
    if isinstance(value, str) and _UUID.match(value):
        return value
    if not isinstance(value, str):
        _refuse(f"Invalid invocation id: expected a string, got {type(value).__name__}.")
    if not value:
        _refuse("Invalid invocation id: it is empty.")
    if len(value) > MAX_INVOCATION_ID_LENGTH:
        _refuse(
            f"Invalid invocation id: it is {len(value)} characters long, "
            f"more than the {MAX_INVOCATION_ID_LENGTH} allowed."
        )
    if value in {".", ".."}:
        _refuse(f"Invalid invocation id {value!r}: a dot segment would change the request URL.")
    for char in value:
        if char in _URL_CHARACTERS:
            _refuse(
                f"Invalid invocation id {_shown(value)}: it contains {char!r}, "
                "which would change the request URL."
            )
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            _refuse(
                f"Invalid invocation id {_shown(value)}: it contains the whitespace, control "
                f"or invisible character U+{ord(char):04X}."
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


def id_segment(invocation_id: str) -> str:
    """Check an id and percent-encode it as exactly one URL path segment."""
    checked = check_invocation_id(invocation_id)
    return checked if _UUID.match(checked) else quote(checked, safe="")


def _shown(value: str) -> str:
    # repr() makes invisible characters visible; long ids are cut to stay readable.
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _refuse(problem: str) -> NoReturn:
    raise InvalidInvocationIdError(f"{problem} {_WHAT_IS_VALID}")
