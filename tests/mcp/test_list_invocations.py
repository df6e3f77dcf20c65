"""list_invocations over the real MCP SDK client, bctrl mocked: what the model sees."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import respx

from tests.mcp.conftest import INVOCATION_ID, OTHER_ID, SPACE_ID, ServerFactory, call, text
from tests.unit.runs import RUN_ID, record_data

LIST = f"/v1/runs/{RUN_ID}/commands"
VIEW_LIMIT = 40_000


def _now_record(invocation_id: str, **options: Any) -> dict[str, Any]:
    """A record aged against the real clock, since the tool reads time.time()."""
    return record_data(invocation_id=invocation_id, now=time.time(), **options)


def _structured_first(result: Any) -> str:
    return json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)


async def test_lists_the_live_invocations_of_the_run_of_an_invocation(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(200, json=_now_record(INVOCATION_ID))
    route = api.get(LIST).respond(
        200, json={"commands": [_now_record(INVOCATION_ID), _now_record(OTHER_ID)]}
    )
    result = await call(make_server(), "list_invocations", {"invocation_id": INVOCATION_ID})
    assert not result.is_error
    content = result.structured_content
    assert content is not None
    assert content["run_id"] == RUN_ID
    assert content["counts"] == {"running": 2}
    assert {item["id"] for item in content["items"]} == {INVOCATION_ID, OTHER_ID}
    assert content["more"] is False
    sent = route.calls.last.request.url.params
    assert sent.get_list("status") == ["queued", "dispatching", "running", "cancelling"]
    assert text(result).startswith(f"Run {RUN_ID}: 2 invocations listed (2 running).")


async def test_runaway_filters_keep_only_matches_and_name_the_rule(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    long_running = _now_record(INVOCATION_ID, started_ago=1300, heartbeat_ago=2)
    healthy = _now_record(OTHER_ID, started_ago=20, heartbeat_ago=1)
    api.get(LIST).respond(200, json={"commands": [healthy, long_running]})
    arguments = {"run_id": RUN_ID, "running_longer_than_seconds": 600}
    result = await call(make_server(), "list_invocations", arguments)
    content = result.structured_content
    assert content is not None
    assert [item["id"] for item in content["items"]] == [INVOCATION_ID]
    assert content["items"][0]["runaway"] == ["running_longer_than_seconds"]
    assert content["matched"] == 1
    assert "cancel_invocations" in text(result)
    assert INVOCATION_ID in text(result)


async def test_own_invocation_is_marked_and_outside_spaces_are_not_cancellable(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(200, json=_now_record(INVOCATION_ID))
    mine = _now_record(INVOCATION_ID, spaceId=SPACE_ID)
    foreign = _now_record(OTHER_ID, spaceId="elsewhere")
    api.get(LIST).respond(200, json={"commands": [foreign, mine]})
    server = make_server(self_invocation_id=INVOCATION_ID, allowed_space_ids=[SPACE_ID])
    result = await call(server, "list_invocations", {"invocation_id": "self"})
    content = result.structured_content
    assert content is not None
    items = {item["id"]: item for item in content["items"]}
    assert items[INVOCATION_ID]["is_self"] is True
    assert items[INVOCATION_ID]["cancellable"] is True
    assert items[OTHER_ID]["is_self"] is False
    assert items[OTHER_ID]["cancellable"] is False
    assert content["items"][0]["id"] == INVOCATION_ID  # its own first, never hidden
    assert "outside BCTRL_ALLOWED_SPACE_IDS" in text(result)


async def test_read_only_keeps_the_tool(make_server: ServerFactory, api: respx.MockRouter) -> None:
    api.get(LIST).respond(200, json={"commands": []})
    result = await call(make_server(read_only=True), "list_invocations", {"run_id": RUN_ID})
    assert not result.is_error
    assert "0 invocations listed" in text(result)


async def test_500_hostile_items_stay_within_the_limit_in_every_view_and_all_are_named(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    huge = "\x1b]0;pwned\x07page.\udc00\u202e" + "x" * 100_000
    now = time.time()
    items = [
        record_data(
            now=now,
            started_ago=5000 + n,
            heartbeat_ago=900,
            entryCall=huge,
            progress={"step": 10**9, "totalSteps": 10**9, "currentCall": huge},
            metadata={"blob": "y" * 10_000},
        )
        for n in range(500)
    ]
    ids = [item["id"] for item in items]
    asked: list[int] = []

    def pages(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor") or 0)
        size = int(request.url.params["limit"])
        asked.append(size)
        chunk = items[start : start + size]
        cursor = str(start + size) if start + size < len(items) else None
        # Escaped, as a server would send a lone surrogate: JSON allows it, UTF-8 does not.
        body = json.dumps({"commands": chunk, "nextCursor": cursor})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    api.get(LIST).mock(side_effect=pages)
    arguments = {"run_id": RUN_ID, "limit": 500, "heartbeat_older_than_seconds": 60}
    result = await call(make_server(), "list_invocations", arguments)
    content = result.structured_content
    assert content is not None
    views = {"structured-first": _structured_first(result), "content-first": text(result)}
    for name, view in views.items():
        assert len(view) <= VIEW_LIMIT, (name, len(view))
        for unsafe in ("\x1b", "\x07", "\udc00", "\u202e"):
            assert unsafe not in view, (name, unsafe)
    assert content["matched"] == 500, content["message"][:500]
    # Pages of 100 such records pass the client's 8 MB cap: it asked again for fewer.
    assert asked[:3] == [100, 50, 25]
    assert content["items"], "some rows must fit"
    named = [item["id"] for item in content["items"]] + content["other_ids"]
    assert sorted(named) == sorted(ids)
    assert all(len(item["current_call"]) <= 120 for item in content["items"])


async def test_an_unknown_run_is_an_error_that_fits_the_schema(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    api.get(LIST).respond(404, json={"error": "Run not found", "code": "run.not_found"})
    result = await call(make_server(), "list_invocations", {"run_id": RUN_ID})
    assert result.is_error
    assert "No such run" in text(result)


async def test_both_or_neither_run_and_invocation_is_refused(
    make_server: ServerFactory, api: respx.MockRouter
) -> None:
    route = api.route()
    for arguments in ({}, {"run_id": RUN_ID, "invocation_id": INVOCATION_ID}):
        result = await call(make_server(), "list_invocations", arguments)
        assert result.is_error
        assert "give exactly one of run_id, or invocation_id" in text(result)
    assert not route.called
