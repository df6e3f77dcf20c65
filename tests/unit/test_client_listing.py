"""Both clients list a run's invocations: paging, envelopes, caps and filters (respx)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from bctrl_tools import AsyncBctrlClient, BctrlClient, ClientSettings
from bctrl_tools.errors import InvalidInvocationIdError, InvalidResponseError, NotFoundError
from bctrl_tools.models import Invocation
from bctrl_tools.run_listing import InvocationPage
from tests.unit.runs import RUN_ID, record_data

LIST = f"/v1/runs/{RUN_ID}/commands"

Collect = Callable[..., list[Invocation]]


@pytest.fixture(params=["sync", "async"])
def collect(request: pytest.FixtureRequest, settings: ClientSettings) -> Collect:
    """Drain ``list_run_invocations`` through the sync or the async client."""

    def run(run_id: str, **options: Any) -> list[Invocation]:
        if request.param == "sync":
            with BctrlClient(settings=settings) as client:
                return list(client.list_run_invocations(run_id, **options))

        async def go() -> list[Invocation]:
            async with AsyncBctrlClient(settings=settings) as client:
                return [item async for item in client.list_run_invocations(run_id, **options)]

        return asyncio.run(go())

    return run


class Pages:
    """A fake server: answers each cursor with its page and records what was asked."""

    def __init__(self, pages: dict[str | None, dict[str, Any]]) -> None:
        self.pages = pages
        self.asked: list[httpx.QueryParams] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.params)
        return httpx.Response(200, json=self.pages[request.url.params.get("cursor")])


def _body(n: int, cursor: str | None = None, key: str = "commands", **item: Any) -> dict[str, Any]:
    body: dict[str, Any] = {key: [record_data(**item) for _ in range(n)]}
    if cursor is not None:
        body["nextCursor"] = cursor
    return body


def test_follows_cursors_and_sends_filters_as_repeated_keys(
    api: respx.MockRouter, collect: Collect
) -> None:
    server = Pages({None: _body(2, "p2"), "p2": _body(2, "p3"), "p3": _body(1)})
    api.get(LIST).mock(side_effect=server)
    items = collect(RUN_ID, status=["running", "queued"], include=["error"], limit=50)
    assert len(items) == 5
    assert [params.get("cursor") for params in server.asked] == [None, "p2", "p3"]
    first = server.asked[0]
    assert first.get_list("status") == ["running", "queued"]
    assert first.get_list("include") == ["error"]
    assert [int(params["limit"]) for params in server.asked] == [50, 48, 46]


def test_a_data_envelope_and_an_absent_cursor_read_alike(
    api: respx.MockRouter, collect: Collect
) -> None:
    server = Pages({None: _body(2, "next", key="data"), "next": {"data": [], "nextCursor": None}})
    api.get(LIST).mock(side_effect=server)
    assert len(collect(RUN_ID)) == 2
    assert len(server.asked) == 2


def test_unknown_fields_survive_on_the_items(api: respx.MockRouter, collect: Collect) -> None:
    api.get(LIST).respond(200, json={"commands": [record_data(costUsd=2)], "total": 1})
    (item,) = collect(RUN_ID)
    assert item.to_json_dict()["costUsd"] == 2


def test_a_cursor_loop_ends_the_listing(api: respx.MockRouter, collect: Collect) -> None:
    server = Pages({None: _body(1, "a"), "a": _body(1, "b"), "b": _body(1, "a")})
    api.get(LIST).mock(side_effect=server)
    assert len(collect(RUN_ID)) == 3
    assert len(server.asked) == 3


def test_an_empty_page_with_a_cursor_is_followed(api: respx.MockRouter, collect: Collect) -> None:
    server = Pages({None: {"commands": [], "nextCursor": "x"}, "x": _body(2)})
    api.get(LIST).mock(side_effect=server)
    assert len(collect(RUN_ID)) == 2


def test_a_server_that_always_has_a_next_page_is_capped(
    api: respx.MockRouter, collect: Collect
) -> None:
    calls = {"n": 0}

    def endless(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(200, json={"commands": [], "nextCursor": f"c{calls['n']}"})

    api.get(LIST).mock(side_effect=endless)
    assert collect(RUN_ID) == []
    assert calls["n"] == 200


def test_the_limit_caps_items_and_pages(api: respx.MockRouter, collect: Collect) -> None:
    server = Pages({None: _body(10, "more")})
    api.get(LIST).mock(side_effect=server)
    assert len(collect(RUN_ID, limit=3)) == 3
    assert len(server.asked) == 1


def test_statuses_the_server_did_not_filter_are_dropped(
    api: respx.MockRouter, collect: Collect
) -> None:
    body = {"commands": [record_data("running"), record_data("succeeded")]}
    api.get(LIST).respond(200, json=body)
    assert [str(item.status) for item in collect(RUN_ID, status=iter(["running"]))] == ["running"]


def test_an_unknown_run_is_not_found_and_says_run(api: respx.MockRouter, collect: Collect) -> None:
    api.get(LIST).respond(404, json={"error": "Run not found", "code": "run.not_found"})
    with pytest.raises(NotFoundError, match="No such run"):
        collect(RUN_ID)


@pytest.mark.parametrize("bad", ["../x", "a b", "", "r?x=1"])
def test_run_ids_get_the_id_checks_before_any_request(
    api: respx.MockRouter, settings: ClientSettings, bad: str
) -> None:
    route = api.get(url__regex=r".*")
    with (
        BctrlClient(settings=settings) as client,
        pytest.raises(InvalidInvocationIdError, match="run id"),
    ):
        client.list_run_invocations(bad)
    assert not route.called


def test_one_page_gives_items_and_the_next_cursor(
    api: respx.MockRouter, settings: ClientSettings
) -> None:
    route = api.get(LIST).respond(200, json=_body(2, "n2"))
    with BctrlClient(settings=settings) as client:
        page = client.list_run_invocations_page(RUN_ID, limit=2, cursor="n1")
    assert isinstance(page, InvocationPage)
    assert len(page.items) == 2
    assert page.next_cursor == "n2"
    assert route.calls.last.request.url.params["cursor"] == "n1"


def test_an_unreadable_page_names_no_tool_that_does_not_exist(
    api: respx.MockRouter, collect: Collect
) -> None:
    api.get(LIST).respond(200, text="<html>login</html>", headers={"content-type": "text/html"})
    with pytest.raises(InvalidResponseError) as caught:
        collect(RUN_ID)
    assert "it is safe to list again" in str(caught.value)
    assert "get_run" not in str(caught.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_pages_over_the_size_cap_are_asked_for_again_smaller(
    api: respx.MockRouter, settings: ClientSettings, kind: str
) -> None:
    items = [record_data(metadata={"blob": "m" * 2000}) for _ in range(120)]
    asked: list[int] = []

    def pages(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor") or 0)
        size = int(request.url.params["limit"])
        asked.append(size)
        cursor = str(start + size) if start + size < len(items) else None
        return httpx.Response(
            200, json={"commands": items[start : start + size], "nextCursor": cursor}
        )

    api.get(LIST).mock(side_effect=pages)
    small = settings.model_copy(update={"max_response_bytes": 100_000})

    async def drain() -> list[Invocation]:
        async with AsyncBctrlClient(settings=small) as client:
            return [item async for item in client.list_run_invocations(RUN_ID)]

    if kind == "sync":
        with BctrlClient(settings=small) as client:
            listed = list(client.list_run_invocations(RUN_ID))
    else:
        listed = asyncio.run(drain())
    assert [item.id for item in listed] == [item["id"] for item in items]
    assert asked[:3] == [100, 50, 25]
