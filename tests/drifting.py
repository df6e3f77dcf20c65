"""Records that drift from the documented schema: valid records, broken at random.

A drift deletes a field (required or not) somewhere in a valid record, or gives a value
another JSON type, one to three times; never the top-level ``id`` or ``status``, which
a record cannot do without. The records are the fixtures in ``tests/data/records/``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

__all__ = ["DECISIVE", "RECORD_NAMES", "Drift", "drifts", "load_record", "locations"]

RECORDS = Path(__file__).parent / "data" / "records"
RECORD_NAMES = ("cancelling", "failed", "minimal")
DECISIVE = (("id",), ("status",))
Location = tuple[str | int, ...]

# One value of each JSON type: a drifted value is one of another type than it was.
_VALUES: tuple[Any, ...] = (7, 2.5, "seven", True, None, [], ["x"], {}, {"x": 1})


def load_record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDS / f"{name}.json").read_text())
    return data


@dataclass(frozen=True)
class Drift:
    """A valid record (``name``, with ``status`` set) and what was done to it."""

    name: str
    original: dict[str, Any]
    record: dict[str, Any]
    changed: tuple[Location, ...]  # where each change was made

    def untouched(self, key: str) -> bool:
        """Whether no change was made at or under the top-level ``key``."""
        return all(location[0] != key for location in self.changed)


def locations(value: Any, prefix: Location = ()) -> list[Location]:
    """Every place in a JSON tree: each object key and each list index, at any depth."""
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    found: list[Location] = []
    for key, child in items:
        found.append((*prefix, key))
        found += locations(child, (*prefix, key))
    return found


def _kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else type(value).__name__


@st.composite
def drifts(
    draw: st.DrawFn,
    /,
    statuses: tuple[str, ...] = ("cancelling",),
    inside: Location = (),
    names: tuple[str, ...] = RECORD_NAMES,
    **fields: Any,
) -> Drift:
    """A record with ``status`` from ``statuses`` (and ``fields`` set), drifted 1-3 times.

    ``inside`` keeps the changes strictly below that place, e.g. ``("result", "steps", 0)``.
    """
    name = draw(st.sampled_from(names))
    original = {**load_record(name), "status": draw(st.sampled_from(statuses)), **fields}
    record = copy.deepcopy(original)
    changed: list[Location] = []
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p in locations(record) if p not in DECISIVE]
        places = [p for p in places if len(p) > len(inside) and p[: len(inside)] == inside]
        if not places:
            break  # everything inside was deleted already
        where = draw(st.sampled_from(places))
        parent: Any = record
        for key in where[:-1]:
            parent = parent[key]
        old = parent[where[-1]]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[where[-1]]
        else:
            other = draw(st.sampled_from([v for v in _VALUES if _kind(v) != _kind(old)]))
            parent[where[-1]] = copy.deepcopy(other)  # never share (and later change) _VALUES
        changed.append(where)
    return Drift(name, original, record, tuple(changed))
