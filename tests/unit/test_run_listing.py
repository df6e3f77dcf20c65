"""Reading list pages tolerantly, and the pager's caps (pure; the client's I/O is elsewhere)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bctrl_tools.errors import InvalidResponseError
from bctrl_tools.run_listing import MAX_ITEMS, InvocationPage, Pager, page_params
from tests.unit.runs import record_data


def _page(n: int = 2, cursor: Any = None, key: str = "commands", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {key: [record_data() for _ in range(n)], **extra}
    if cursor is not None:
        body["nextCursor"] = cursor
    return body


@pytest.mark.parametrize("key", ["commands", "data"])
def test_either_envelope_reads(key: str) -> None:
    page = InvocationPage.model_validate(_page(3, "c2", key))
    assert len(page.items) == 3
    assert page.next_cursor == "c2"


@pytest.mark.parametrize("cursor", [None, "", 7])
def test_absent_null_empty_or_odd_cursor_ends_the_listing(cursor: Any) -> None:
    body = _page(1)
    if cursor is not None:
        body["nextCursor"] = cursor
    assert InvocationPage.model_validate(body).next_cursor is None


def test_unknown_fields_are_kept_on_items() -> None:
    body = {"commands": [record_data(costUsd=1.5, status="paused")], "total": 9}
    item = InvocationPage.model_validate(body).items[0]
    assert item.to_json_dict()["costUsd"] == 1.5
    assert str(item.status) == "paused"


def test_items_that_are_not_invocations_are_skipped_and_counted() -> None:
    action = {"id": "cmd_1", "kind": "runtime.action", "status": "succeeded"}
    unusable = [record_data(invocation_id=bad) for bad in ("a/b", "x" * 65, "a b")]
    page = InvocationPage.model_validate({"commands": [action, record_data(), "junk", *unusable]})
    assert len(page.items) == 1
    assert page.skipped == 5


def test_a_drifted_invocation_is_listed_with_its_warnings() -> None:
    drifted = record_data()
    drifted["spaceId"] = 42  # a required field of the wrong type
    drifted.pop("artifactCount")  # and one missing
    page = InvocationPage.model_validate({"commands": [drifted]})
    assert page.skipped == 0
    (item,) = page.items
    assert item.status == drifted["status"]
    assert set(item.schema_warnings) == {"spaceId", "artifactCount"}


@pytest.mark.parametrize("body", [[], {"items": None}, {"commands": {}}, {"nextCursor": "x"}])
def test_a_body_without_a_list_is_invalid(body: Any) -> None:
    with pytest.raises(ValidationError):
        InvocationPage.model_validate(body)


def test_params_repeat_status_and_include_keys() -> None:
    params = page_params(
        status=["running", "queued", "running"], include=["error"], limit=50, cursor="c"
    )
    assert params == [
        ("limit", 50),
        ("status", "running"),
        ("status", "queued"),
        ("include", "error"),
        ("cursor", "c"),
    ]


def _drain(pager: Pager, pages: list[dict[str, Any]]) -> list[str]:
    """Feed pages until the pager is done; the last page repeats if it asks for more."""
    ids: list[str] = []
    index = 0
    while not pager.done:
        body = pages[min(index, len(pages) - 1)]
        ids += [item.id for item in pager.take(InvocationPage.model_validate(body))]
        index += 1
    return ids


def test_follows_cursors_to_the_end() -> None:
    pager = Pager()
    ids = _drain(pager, [_page(2, "a"), _page(2, "b"), _page(1)])
    assert len(ids) == 5
    assert pager.pages == 3
    assert not pager.more
    assert pager.cut_short is None


def test_a_repeated_cursor_stops_the_loop() -> None:
    pager = Pager()
    ids = _drain(pager, [_page(1, "a"), _page(1, "b"), _page(1, "a")])
    assert len(ids) == 3
    assert pager.more
    assert pager.cut_short == "the server repeated a cursor"


def test_a_server_answering_the_same_cursor_forever_is_stopped_at_once() -> None:
    pager = Pager()
    _drain(pager, [_page(1, "same")])
    assert pager.pages == 2


def test_empty_pages_with_a_cursor_are_followed_but_capped() -> None:
    pager = Pager(max_pages=5)
    pages = [{"commands": [], "nextCursor": f"c{i}"} for i in range(10)]
    assert _drain(pager, pages) == []
    assert pager.pages == 5
    assert pager.more
    assert pager.cut_short == "stopped after 5 pages"


def test_empty_page_with_a_cursor_then_items() -> None:
    pager = Pager()
    ids = _drain(pager, [{"commands": [], "nextCursor": "x"}, _page(2)])
    assert len(ids) == 2


def test_the_limit_caps_items_even_within_one_page() -> None:
    pager = Pager(limit=3)
    assert pager.page_size == 3
    ids = _drain(pager, [_page(10)])
    assert len(ids) == 3
    assert pager.more


def test_an_exact_last_page_is_not_more() -> None:
    pager = Pager(limit=2)
    _drain(pager, [_page(2)])
    assert not pager.more


def test_page_size_shrinks_to_what_is_left() -> None:
    pager = Pager(limit=150)
    assert pager.page_size == 100
    pager.take(InvocationPage.model_validate(_page(100, "a")))
    assert pager.page_size == 50


def test_without_a_limit_items_are_capped() -> None:
    assert Pager().limit == MAX_ITEMS


def test_status_is_filtered_on_our_side_too() -> None:
    pager = Pager(status=["running"])
    body = {"commands": [record_data("running"), record_data("succeeded"), record_data()]}
    assert len(_drain(pager, [body])) == 2


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Pager(limit=0)


def test_a_page_over_the_size_cap_is_asked_for_again_at_half_the_size() -> None:
    too_large = InvalidResponseError("big", status_code=200, reason="too_large", snippet="")
    pager = Pager(limit=300)
    assert pager.page_size == 100
    assert pager.shrink(too_large)
    assert pager.page_size == 50
    while pager.page_size > 1:
        assert pager.shrink(too_large)
    assert not pager.shrink(too_large)  # a single record over the cap: give up
    other = InvalidResponseError("html", status_code=200, reason="html", snippet="")
    assert not Pager().shrink(other)
