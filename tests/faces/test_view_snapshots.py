"""What a model sees of a representative set of calls, in each host view: reviewed snapshots.

Each snapshot in ``snapshots/`` holds one call's structured-first view (parsed, for a
readable diff), its content-first and LangChain views, and each view's length. A change
to anything a model sees shows up as a diff to review. Regenerate them with
``UPDATE_SNAPSHOTS=1 pytest tests/faces/test_view_snapshots.py`` (each rewritten snapshot
fails its test, saying so) and read the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import respx

from bctrl_tools.guardrails import Guardrails
from bctrl_tools.summary import parse_timestamp
from tests.faces.seen import Faces
from tests.huge import normal

SNAPSHOTS = Path(__file__).parent / "snapshots"
ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"
OTHER = "7b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
# Ten minutes after the records' invocations started: ages and durations stay put.
NOW = (parse_timestamp("2026-11-28T14:12:12.004Z") or 0.0) + 0.0
NOT_FOUND = {
    "error": {"message": "Invocation not found", "code": "not_found", "requestId": "req_1"}
}


def ok(api: respx.MockRouter) -> None:
    api.get(f"/v1/invocations/{ID}").respond(200, json=normal("cancelling") | {"status": "running"})
    api.post(f"/v1/invocations/{ID}/cancel").respond(200, json=normal("cancelling"))
    api.route(url__regex=OTHER).respond(404, json=NOT_FOUND)


def failed(api: respx.MockRouter) -> None:
    api.get(f"/v1/invocations/{ID}").respond(200, json=normal("failed") | {"id": ID})


def missing(api: respx.MockRouter) -> None:
    api.route().respond(404, json=NOT_FOUND)


Mock = Callable[[respx.MockRouter], None]
# name: (how bctrl answers, guardrails, tool, arguments)
CALLS: dict[str, tuple[Mock, dict[str, Any], str, dict[str, Any]]] = {
    "cancel_requested": (ok, {}, "cancel_invocation", {"invocation_id": ID}),
    "cancel_not_found": (missing, {}, "cancel_invocation", {"invocation_id": ID}),
    "cancel_refused_budget": (ok, {"max_cancels": 0}, "cancel_invocation", {"invocation_id": ID}),
    "cancel_dry_run": (ok, {"dry_run": True}, "cancel_invocation", {"invocation_id": ID}),
    "batch_mixed": (
        ok, {}, "cancel_invocations", {"invocation_ids": [ID, OTHER, "../admin"]}
    ),
    "get_summary": (failed, {}, "get_invocation", {"invocation_id": ID}),
    "get_full": (failed, {}, "get_invocation", {"invocation_id": ID, "detail": "full"}),
    "get_not_found": (missing, {}, "get_invocation", {"invocation_id": ID}),
    "bad_arguments": (ok, {}, "get_invocation", {"invocation_id": ID, "verbose": True}),
}  # fmt: skip


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bctrl_tools.summary.clock", lambda: NOW)
    monkeypatch.setenv("BCTRL_MAX_RETRIES", "0")


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_the_views_match_their_snapshot(api: respx.MockRouter, name: str) -> None:
    mock, rails, tool, arguments = CALLS[name]
    mock(api)
    shown = await Faces(Guardrails(**rails)).seen(tool, arguments)
    current = {
        "call": {"tool": tool, "arguments": arguments, "guardrails": rails},
        "characters": {view: len(text) for view, text in shown.named().items()},
        "structured-first": json.loads(shown.structured_first),
        "content-first": shown.content_first,
        "langchain": shown.langchain,
    }
    path = SNAPSHOTS / f"{name}.json"
    stored = json.loads(path.read_text()) if path.exists() else None
    if current != stored and os.environ.get("UPDATE_SNAPSHOTS") == "1":
        # Writing it and then comparing it with itself would pass without checking anything.
        path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
        pytest.fail(f"{path.name} updated, not checked: review the diff, then run again.")
    assert current == stored, f"{path.name} changed; see module doc"


def test_every_snapshot_is_a_call() -> None:
    assert {path.stem for path in SNAPSHOTS.glob("*.json")} == set(CALLS)
