"""The full invocation record for a model that asked for it, within a hard limit.

``get_invocation`` with ``detail: "full"`` shows the record itself, but a record can be
megabytes. :func:`bounded_record` keeps its shape (it stays a JSON object with the same
keys) and makes it fit: every string is cleaned and capped, deep nesting is cut, and
then the largest parts are shortened in place (a step list keeps its first steps) or
replaced by a marker naming what was there, until the JSON fits. What was cut is said
twice: in the markers inside the record, and in one line for the message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bctrl_tools.summary import human_size
from bctrl_tools.text import NAME_LIMIT, bounded

__all__ = ["FULL_LIMIT", "STRING_LIMIT", "Bounded", "bounded_record"]

FULL_LIMIT = 50_000  # characters of JSON
STRING_LIMIT = 2_000  # any one string in the record
DEPTH_LIMIT = 12  # levels of nesting below a top-level part
_MARKER_ROOM = 200  # kept free for the markers a shortened part gains


@dataclass
class Bounded:
    """A record made to fit, and what was cut to fit it (empty when nothing was)."""

    record: dict[str, Any]
    cuts: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        return "; ".join(self.cuts) if self.cuts else None


def bounded_record(record: dict[str, Any], limit: int = FULL_LIMIT) -> Bounded:
    """``record`` cleaned, with its JSON at most ``limit`` characters."""
    cleaner = _Cleaner()
    cleaned = {bounded(k, NAME_LIMIT): cleaner.clean(v, 0) for k, v in record.items()}
    cuts = cleaner.cuts()
    total = _size(cleaned)
    if total <= limit:
        return Bounded(cleaned, cuts)
    # The big parts share what the small ones leave, smallest first, so a part that needs
    # less than its share gives the rest to the bigger ones.
    sizes = {key: _size(value) for key, value in cleaned.items()}
    big = sorted((key for key in cleaned if sizes[key] > limit // 10), key=sizes.__getitem__)
    left = limit - (total - sum(sizes[key] for key in big)) - _MARKER_ROOM * len(big)
    for done, key in enumerate(big):
        share = max(0, left // (len(big) - done))
        if sizes[key] > share:
            cleaned[key], cut = _shorten(key, cleaned[key], share, limit)
            cuts.append(cut)
        left -= _size(cleaned[key])
    if _size(cleaned) > limit:  # too many small fields: keep only what names it
        kept: dict[str, Any] = {k: cleaned[k] for k in ("id", "status") if k in cleaned}
        return Bounded(kept, [*cuts, "every other field omitted"])
    return Bounded(cleaned, cuts)


def _shorten(key: str, value: Any, budget: int, limit: int) -> tuple[Any, str]:
    """``value`` made to fit ``budget`` characters: its steps trimmed, or a marker."""
    size = human_size(_size(value))
    steps = value.get("steps") if isinstance(value, dict) else None
    if isinstance(steps, list) and steps:
        rest = {k: v for k, v in value.items() if k != "steps"}
        kept = _prefix(steps, budget - _size(rest))
        if kept:
            dropped = len(steps) - len(kept)
            marker = f"... {dropped} more of {len(steps)} steps omitted to fit {limit:,} characters"
            cut = f"{key}: first {len(kept)} of {len(steps)} steps kept ({size} in all)"
            return {**rest, "steps": [*kept, marker]}, cut
    marker = f"[{key} omitted to fit {limit:,} characters: {_describe(value)}, {size}]"
    return marker, f"{key} omitted ({size})"


def _prefix(items: list[Any], budget: int) -> list[Any]:
    kept: list[Any] = []
    used = 2  # the brackets
    for item in items:
        used += _size(item) + 1
        if used > budget:
            break
        kept.append(item)
    return kept


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        steps = value.get("steps")
        if isinstance(steps, list):
            return f"{len(steps)} steps"
        return f"{len(value)} keys"
    if isinstance(value, list):
        return f"{len(value)} items"
    return type(value).__name__


class _Cleaner:
    """Copies a JSON value with every string cleaned and capped, and nesting cut."""

    def __init__(self) -> None:
        self.strings_cut = 0
        self.levels_cut = 0

    def clean(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            self.strings_cut += len(value) > STRING_LIMIT
            return bounded(value, STRING_LIMIT, keep_lines=True)
        if not isinstance(value, dict | list):
            return value
        if depth >= DEPTH_LIMIT:
            self.levels_cut += 1
            return f"[nested deeper than {DEPTH_LIMIT} levels: omitted]"
        if isinstance(value, list):
            return [self.clean(item, depth + 1) for item in value]
        return {bounded(k, NAME_LIMIT): self.clean(v, depth + 1) for k, v in value.items()}

    def cuts(self) -> list[str]:
        cuts = []
        if self.strings_cut:
            cuts.append(f"{self.strings_cut} strings cut at {STRING_LIMIT:,} characters")
        if self.levels_cut:
            cuts.append(f"{self.levels_cut} parts nested deeper than {DEPTH_LIMIT} levels omitted")
        return cuts


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
