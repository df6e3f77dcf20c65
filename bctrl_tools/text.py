"""Bounding text from the server before a model or a terminal sees it.

Anything the API sends (an error message, a call name, a step's label) may be huge,
span lines, or carry terminal escape sequences and bidi overrides that rewrite what a
person sees. ``one_line`` makes such a string safe to put in a message: control
characters and escape sequences removed, whitespace collapsed, length capped with a
marker that says how much was cut.
"""

from __future__ import annotations

import re

__all__ = ["MESSAGE_LIMIT", "NAME_LIMIT", "bounded", "clip", "one_line", "strip_controls"]

MESSAGE_LIMIT = 300  # an error message or reason, as the server wrote it
NAME_LIMIT = 120  # a name, a call such as page.click, an id-like label

# ESC-introduced sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks, ended
# by BEL or ST), and the two-byte ones. C1 CSI (0x9b) is the one-byte form of ESC [.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x1b[@-_]?"
)
# C0 and C1 controls but tab and line breaks, DEL, and the bidi embeddings, overrides
# and isolates that can make text read differently from what it is. Lone surrogates go
# too: JSON may carry them, UTF-8 cannot, so a host could not send them on.
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_WHITESPACE = re.compile(r"\s+")
# However long the input, only this many characters per allowed one are looked at, so
# a 10 MB string costs no more than a short one.
_WINDOW_FACTOR = 8


def strip_controls(text: str) -> str:
    """``text`` without escape sequences or control characters (tabs and newlines stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def clip(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start and a marker, within it.

    The marker says how many characters were left out: ``"... [+9,999,700 chars]"``.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return text if len(text) <= limit else _clipped(text, limit, len(text))


def one_line(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """Server text made fit for one line of a message: cleaned, collapsed and capped."""
    return bounded(text, limit)


def bounded(text: object, limit: int, *, keep_lines: bool = False) -> str:
    """Server text cleaned and capped; whitespace collapsed unless ``keep_lines``."""
    raw = str(text)
    # The common case at regex speed: every escape sequence starts with a control too.
    if len(raw) <= limit and not _CONTROLS.search(raw):
        return raw if keep_lines else _WHITESPACE.sub(" ", raw).strip()
    window = raw[: limit * _WINDOW_FACTOR + 64]
    cleaned = strip_controls(window)
    if not keep_lines:
        cleaned = _WHITESPACE.sub(" ", cleaned).strip()
    if len(window) == len(raw):
        return clip(cleaned, limit)
    return _clipped(cleaned, limit, len(raw))  # cut before cleaning: always say so


def _clipped(text: str, limit: int, total: int) -> str:
    # The marker is sized for the whole length, so the real (shorter or equal) one fits.
    kept = limit - len(_marker(total))
    if kept < 1:
        return text[:limit]  # no room to say what was cut
    head = text[:kept].rstrip()
    return (head + _marker(total - len(head)))[:limit]


def _marker(omitted: int) -> str:
    return f"... [+{omitted:,} chars]"
