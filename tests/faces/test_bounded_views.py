"""What a model sees is bounded and clean in every host view, however large the record.

Each call goes through both faces (``tests/faces/seen.py``) and is measured in the three
host views: structured-first, content-first and LangChain. The limits are issue 9's.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
import respx

from bctrl_tools.guardrails import Guardrails
from tests.faces.seen import Faces
from tests.huge import ESCAPES, huge, normal, strings
from tests.views import HostViews

SINGLE = 2_000  # a single cancel or get of a normal record
ANY_RECORD = 8_000  # any single record, however large
FULL = 50_000  # get_invocation with detail "full"
BATCH = 40_000  # cancel_invocations with 500 ids
ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
# Controls and bidi overrides; a text view may hold line breaks between its parts.
UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LangChain toolkit reads its retries from the environment: a 500 answers at once."""
    monkeypatch.setenv("BCTRL_MAX_RETRIES", "0")


def serve(api: respx.MockRouter, record: dict[str, Any]) -> None:
    """bctrl answers every read and cancel with ``record`` (its id set to the one asked)."""

    def answer(status: str | None) -> Any:
        def respond(request: httpx.Request, invocation_id: str) -> httpx.Response:
            body = {**record, "id": invocation_id}
            return httpx.Response(200, json=body | ({"status": status} if status else {}))

        return respond

    api.get(url__regex=r"/v1/invocations/(?P<invocation_id>[^/]+)$").mock(side_effect=answer(None))
    api.post(url__regex=r"/v1/invocations/(?P<invocation_id>[^/]+)/cancel$").mock(
        side_effect=answer("cancelling")
    )


def check(shown: HostViews, limit: int) -> None:
    """Within ``limit`` in every view, the message in each, nothing unsafe anywhere."""
    for name, view in shown.named().items():
        assert len(view) <= limit, f"{name}: {len(view):,} characters"
    message = json.loads(shown.structured_first)["message"]
    assert json.dumps(message, ensure_ascii=False) in shown.structured_first
    assert shown.content_first.startswith(message)
    assert shown.langchain is not None
    assert shown.langchain.startswith(message)
    for text in [
        shown.content_first,
        shown.langchain,
        *strings(json.loads(shown.structured_first)),
    ]:
        assert not UNSAFE.search(text), repr(UNSAFE.search(text))


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("cancel_invocation", {"invocation_id": ID}), ("get_invocation", {"invocation_id": ID})],
)
async def test_a_normal_record_is_small_in_every_view(
    api: respx.MockRouter, tool: str, arguments: dict[str, Any]
) -> None:
    serve(api, normal("cancelling"))
    check(await Faces().seen(tool, arguments), SINGLE)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("cancel_invocation", {"invocation_id": ID}), ("get_invocation", {"invocation_id": ID})],
)
async def test_any_record_however_large_is_summarised_in_every_view(
    api: respx.MockRouter, tool: str, arguments: dict[str, Any]
) -> None:
    serve(api, huge())  # 3,000 steps, 2 MB of results, 1 MB of metadata, a 2.5 MB error
    shown = await Faces().seen(tool, arguments)
    check(shown, ANY_RECORD)
    summary = json.loads(shown.structured_first)["invocation"]
    assert summary["not_shown"].startswith("request: 3000 steps (")
    assert "result: 3000 step results (2.6 MB)" in summary["not_shown"]


async def test_the_full_record_is_cut_to_fit_in_every_view(api: respx.MockRouter) -> None:
    serve(api, huge())
    shown = await Faces().seen("get_invocation", {"invocation_id": ID, "detail": "full"})
    check(shown, FULL)
    content = json.loads(shown.structured_first)
    assert content["full_record"]["request"]["steps"][-1].endswith(
        "steps omitted to fit 47,000 characters"
    )
    assert "of 3000 steps kept" in content["full_record_cuts"]
    assert "Record cut to fit 50,000 characters" in content["message"]
    assert '"request":{' in shown.content_first  # a content-first host sees the record too


async def test_a_full_record_that_fits_is_whole(api: respx.MockRouter) -> None:
    serve(api, normal("failed"))
    shown = await Faces().seen("get_invocation", {"invocation_id": ID, "detail": "full"})
    check(shown, SINGLE * 3)
    assert json.loads(shown.structured_first)["full_record"] == normal("failed") | {"id": ID}


@pytest.mark.parametrize("status", [404, 500])
async def test_huge_hostile_server_text_is_capped_in_every_view(
    api: respx.MockRouter, status: int
) -> None:
    said = ESCAPES + "x\n" * 5_000_000  # 10 MB, with escapes and line breaks
    body = {"error": {"message": said, "code": ESCAPES + "c" * 10_000, "requestId": "r" * 10**6}}
    api.route().respond(status, json=body)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_invocation", {"invocation_id": ID}),
        ("cancel_invocation", {"invocation_id": ID}),
        ("cancel_invocations", {"invocation_ids": [ID]}),
    ]
    for tool, arguments in calls:
        check(await Faces().seen(tool, arguments), SINGLE)


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


async def test_a_batch_of_500_names_every_id_not_stopped_in_every_view(
    api: respx.MockRouter,
) -> None:
    stopped, missing, failing, refused = ids(200), ids(150), ids(100), ids(50)
    fails = {i: n for n, i in enumerate(failing)}

    def cancel(request: httpx.Request, invocation_id: str) -> httpx.Response:
        if invocation_id in fails:  # each with its own huge message
            message = f"boom {fails[invocation_id]} " + "x" * 100_000
            return httpx.Response(500, json={"error": {"message": message, "code": "oops"}})
        if invocation_id in stopped:
            return httpx.Response(200, json={**normal("cancelling"), "id": invocation_id})
        return httpx.Response(404, json={"error": {"message": "nope", "code": "not_found"}})

    api.post(url__regex=r"/v1/invocations/(?P<invocation_id>[^/]+)/cancel$").mock(
        side_effect=cancel
    )
    api.get(url__regex="/v1/invocations/").respond(
        200, json=normal("cancelling") | {"spaceId": "elsewhere"}
    )
    everything = stopped + missing + failing
    shown = await Faces().seen("cancel_invocations", {"invocation_ids": everything})
    check(shown, BATCH)
    for view in shown.named().values():
        for invocation_id in missing + failing:
            assert invocation_id in view
    assert "not_found (not_found): " in shown.content_first
    assert "failed (oops): " in shown.content_first

    # Refused by a guardrail: the same, with the refusal's code as the reason.
    rails = Guardrails(allowed_space_ids=frozenset({"mine"}))
    shown = await Faces(rails).seen("cancel_invocations", {"invocation_ids": refused})
    check(shown, BATCH)
    assert "refused (outside_allowed_spaces): " + refused[0] in shown.content_first


async def test_500_ids_each_failing_differently_still_fit(api: respx.MockRouter) -> None:
    every = ids(500)

    def cancel(request: httpx.Request, invocation_id: str) -> httpx.Response:
        code = f"error.{invocation_id}.{'z' * 100}"  # 500 different reasons
        return httpx.Response(500, json={"error": {"message": "no", "code": code}})

    api.post(url__regex=r"/v1/invocations/(?P<invocation_id>[^/]+)/cancel$").mock(
        side_effect=cancel
    )
    shown = await Faces().seen("cancel_invocations", {"invocation_ids": every})
    check(shown, BATCH)
    for view in shown.named().values():
        assert all(invocation_id in view for invocation_id in every)
