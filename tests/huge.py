"""Invocation records as large and hostile as a real server may send: for the bound tests.

A real record carries every step's arguments (``request.steps``), every step's returned
value (``result.steps``, often extracted page data) and free-form ``metadata``; its
error message and current call are server text of any length and content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDS = Path(__file__).parent / "data" / "records"
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\u202e"  # clear screen, set title, bidi override


def normal(name: str = "failed") -> dict[str, Any]:
    """A record of ordinary size, as the sandbox or the API docs show them."""
    record: dict[str, Any] = json.loads((RECORDS / f"{name}.json").read_text())
    return record


def huge(
    invocation_id: str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    *,
    steps: int = 3000,
    result_bytes: int = 2_000_000,
    metadata_bytes: int = 1_000_000,
    error_chars: int = 2_500_000,
    status: str = "running",
) -> dict[str, Any]:
    """Thousands of steps, megabytes of results and metadata, a 2.5 MB error, escapes.

    About 7 MB of JSON in all: the client refuses a body over 8 MiB whole, so this is as large
    as a record that reaches a view can be.
    """
    record = normal("failed")
    per_step = max(1, result_bytes // steps)
    record.update(
        id=invocation_id,
        status=status,
        finishedAt=None if status == "running" else record["finishedAt"],
        entryCall=ESCAPES + "page.goto" * 1000,
        progress={"step": steps // 2, "totalSteps": steps, "currentCall": ESCAPES + "x" * 10**6},
        request={
            "runtimeId": record["runtimeId"],
            "steps": [{"call": "page.extract", "args": [{"n": i}]} for i in range(steps)],
        },
        result={
            "mode": "fail-fast",
            "ok": True,
            "runtimeId": record["runtimeId"],
            "steps": [_step(i, "d" * per_step) for i in range(steps)],
        },
        metadata={"blob": "m" * metadata_bytes, "nested": _nested(50)},
        error={
            "code": "E" * 5000,
            "message": ESCAPES + "boom\n" * (error_chars // 5),
            "details": {"trace": "t" * 100_000},
        },
    )
    return record


def _step(index: int, data: str) -> dict[str, Any]:
    resolved = {
        "call": "page.extract", "method": "extract", "target": "page", "runtimeId": "r",
        "contextId": None, "pageId": None, "handleId": None, "ref": None,
    }  # fmt: skip
    return {
        "index": index,
        "call": "page.extract",
        "ok": True,
        "resolved": resolved,
        "result": data,
    }


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": True}
    for _ in range(depth):
        node = {"child": node}
    return node


def strings(value: object) -> list[str]:
    """Every string in a JSON value, keys included: what a check for unsafe text walks."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(found for item in value.values() for found in strings(item))]
    if isinstance(value, list):
        return [found for item in value for found in strings(item)]
    return []
