"""Each guardrail decision of the operations layer, against respx: no sockets, no sandbox.

The integration tests show the same decisions against the real sandbox; these let
``make unit`` alone guard the safety logic. Every test drives the public ``Operations``
API, sync and async, and asserts on the requests bctrl received after the run: an
assertion inside a respx side effect would be swallowed by the tools' error containment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.models import Invocation
from bctrl_tools.operations import ConfirmationPending, Operations, no_confirmation
from bctrl_tools.outcomes import BatchOutcome, CancelOutcome, Outcome
from bctrl_tools.spec import CANCEL_INVOCATION, CancelInvocationInput
from tests.conftest import MOCK_BASE_URL
from tests.unit.conftest import CANARY_KEY, INVOCATION_ID, load_record

HOME = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
ELSEWHERE = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OWN = "0000000a-0000-4000-8000-00000000000a"
SIBLINGS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 4)]
DECLINED = "The user declined."

Answer = Callable[[str, Invocation | None], str | None]


@pytest.fixture(autouse=True)
def no_operator_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BCTRL_READ_ONLY", raising=False)  # it would win over every Guardrails


def ops(**rails: Any) -> Operations:
    settings = ClientSettings(api_key=CANARY_KEY, base_url=MOCK_BASE_URL, max_retries=0)
    return Operations(settings=settings, guardrails=Guardrails(**rails))


def record(status: str, invocation_id: str = INVOCATION_ID, space: str = HOME) -> dict[str, Any]:
    return {**load_record("cancelling"), "id": invocation_id, "status": status, "spaceId": space}


def id_of(request: httpx.Request) -> str:
    return request.url.path.split("/")[3]


def posts(api: respx.MockRouter) -> list[str]:
    """The ids cancelled, in the order bctrl received the POSTs."""
    return [id_of(call.request) for call in api.calls if call.request.method == "POST"]


@pytest.fixture
def mocked(api: respx.MockRouter) -> respx.MockRouter:
    """bctrl with one live invocation in HOME: reads answer running, cancels cancelling."""
    api.get(path__regex=r"^/v1/invocations/[^/]+$").mock(
        side_effect=lambda request: httpx.Response(200, json=record("running", id_of(request)))
    )
    api.post(url__regex=r"/cancel$").mock(
        side_effect=lambda request: httpx.Response(200, json=record("cancelling", id_of(request)))
    )
    return api


class Driver:
    """Runs the public API through the sync or the async driver: both run the same flow."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def cancel(
        self, operations: Operations, invocation_id: str, answer: Answer | None = None
    ) -> CancelOutcome:
        if self.mode == "sync":
            try:
                return operations.cancel(invocation_id, confirm=answer)
            finally:
                operations.close()

        async def go() -> CancelOutcome:
            confirm = None
            if answer is not None:
                asked = answer

                async def confirm(invocation_id: str, invocation: Invocation | None) -> str | None:
                    return asked(invocation_id, invocation)

            try:
                return await operations.acancel(invocation_id, confirm=confirm)
            finally:
                await operations.aclose()

        return asyncio.run(go())

    def cancel_many(self, operations: Operations, ids: list[str]) -> BatchOutcome:
        if self.mode == "sync":
            try:
                return operations.cancel_many(ids)
            finally:
                operations.close()

        async def go() -> BatchOutcome:
            try:
                return await operations.acancel_many(ids)
            finally:
                await operations.aclose()

        return asyncio.run(go())


@pytest.fixture(params=["sync", "async"])
def drive(request: pytest.FixtureRequest) -> Driver:
    return Driver(request.param)


Audited = Callable[[], list[tuple[str, str | None]]]


@pytest.fixture
def audited(caplog: pytest.LogCaptureFixture) -> Audited:
    """The (event, outcome) of each audit line written so far."""
    caplog.set_level(logging.INFO, logger="bctrl_tools.audit")

    def pairs() -> list[tuple[str, str | None]]:
        lines = [
            json.loads(r.getMessage()) for r in caplog.records if r.name == "bctrl_tools.audit"
        ]
        return [(line["event"], line["outcome"]) for line in lines]

    return pairs


# --- the space allow-list -------------------------------------------------------------


def test_outside_the_allowed_spaces_is_refused_after_one_read(
    api: respx.MockRouter, drive: Driver
) -> None:
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(
        200, json=record("running", space=ELSEWHERE)
    )
    api.post(f"/v1/invocations/{INVOCATION_ID}/cancel").respond(200, json=record("cancelling"))
    operations = ops(allowed_space_ids=frozenset({HOME}))
    result = drive.cancel(operations, INVOCATION_ID)
    assert result.outcome is Outcome.REFUSED
    assert ELSEWHERE in result.message
    assert "BCTRL_ALLOWED_SPACE_IDS" in result.message
    assert result.space_id == ELSEWHERE
    assert [call.request.method for call in api.calls] == ["GET"]
    assert operations.budget.spent == 0


def test_inside_the_allowed_spaces_is_cancelled(mocked: respx.MockRouter, drive: Driver) -> None:
    result = drive.cancel(ops(allowed_space_ids=frozenset({HOME})), INVOCATION_ID)
    assert result.outcome is Outcome.CANCEL_REQUESTED
    assert [call.request.method for call in mocked.calls] == ["GET", "POST"]


# --- read-only, dry run ---------------------------------------------------------------


def test_read_only_is_refused_inside_the_flow_before_any_request(
    mocked: respx.MockRouter, drive: Driver, audited: Audited
) -> None:
    # The faces do not offer the tool in read-only mode; the flow refuses on its own too.
    operations = ops(read_only=True)
    result = drive.cancel(operations, INVOCATION_ID)
    assert result.outcome is Outcome.REFUSED
    assert "(read_only=True was set in code)" in result.message  # what switched it on
    assert not mocked.calls
    assert operations.budget.spent == 0
    assert audited() == [("result", "refused")]


def test_dry_run_reads_reports_and_sends_no_cancel(
    mocked: respx.MockRouter, drive: Driver, audited: Audited
) -> None:
    operations = ops(dry_run=True)
    result = drive.cancel(operations, INVOCATION_ID)
    assert result.outcome is Outcome.DRY_RUN
    assert result.status == "running"
    assert "would be cancelled" in result.message
    assert "Nothing was sent" in result.message
    assert not result.outcome.is_error
    assert [call.request.method for call in mocked.calls] == ["GET"]
    assert operations.budget.spent == 0
    assert audited() == [("result", "dry_run")]


# --- confirmation ---------------------------------------------------------------------


def test_a_confirmed_cancel_is_sent_after_asking_once(
    mocked: respx.MockRouter, drive: Driver
) -> None:
    asked: list[tuple[str, str | None]] = []

    def agree(invocation_id: str, invocation: Invocation | None) -> str | None:
        asked.append((invocation_id, invocation.status if invocation else None))
        return None

    result = drive.cancel(ops(confirm=True), INVOCATION_ID, agree)
    assert asked == [(INVOCATION_ID, "running")]  # asked with what it is doing now
    assert result.outcome is Outcome.CANCEL_REQUESTED
    assert posts(mocked) == [INVOCATION_ID]


def test_a_declined_cancel_is_refused_with_the_persons_answer(
    mocked: respx.MockRouter, drive: Driver, audited: Audited
) -> None:
    operations = ops(confirm=True)
    result = drive.cancel(operations, INVOCATION_ID, lambda i, inv: DECLINED)
    assert result.outcome is Outcome.REFUSED
    assert result.message == DECLINED
    assert posts(mocked) == []
    assert operations.budget.spent == 0
    assert audited() == [("result", "refused")]


def test_confirmation_without_a_way_to_ask_is_refused(
    mocked: respx.MockRouter, drive: Driver
) -> None:
    result = drive.cancel(ops(confirm=True), INVOCATION_ID)
    assert result.outcome is Outcome.REFUSED
    assert result.message == no_confirmation("confirm=True was set in code")
    assert posts(mocked) == []


def test_a_pending_confirmation_sends_nothing_and_is_not_audited(
    mocked: respx.MockRouter, drive: Driver, audited: Audited
) -> None:
    question = ConfirmationPending("Asked the user whether to cancel it; waiting for the answer.")
    operations = ops(confirm=True)
    result = drive.cancel(operations, INVOCATION_ID, lambda i, inv: question)
    assert result.outcome is Outcome.REFUSED
    assert result.message == question
    assert posts(mocked) == []
    assert operations.budget.spent == 0
    assert audited() == []  # the repeated call, with the answer, is the decision


# --- the refused error flag -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rails", "is_error"),
    [({"read_only": True}, True), ({"confirm": True}, True), ({"dry_run": True}, False)],
)
def test_a_refusal_reaches_the_model_as_an_error(
    mocked: respx.MockRouter, rails: dict[str, Any], is_error: bool
) -> None:
    arguments = CancelInvocationInput(invocation_id=INVOCATION_ID)
    result = CANCEL_INVOCATION.run(ops(**rails), arguments)
    assert result.data["outcome"] == ("refused" if is_error else "dry_run")
    assert result.is_error is is_error
    assert result.data["is_error"] is is_error
    assert posts(mocked) == []


# --- its own invocation last ----------------------------------------------------------

ORDERS = {
    "self first": ["self", *SIBLINGS],
    "self in the middle": [SIBLINGS[0], "self", *SIBLINGS[1:]],
    "own raw id": [*SIBLINGS[:2], OWN, SIBLINGS[2]],
}


@pytest.mark.parametrize("ids", ORDERS.values(), ids=ORDERS.keys())
def test_a_batch_cancels_its_own_invocation_last(
    api: respx.MockRouter, drive: Driver, ids: list[str]
) -> None:
    # Each cancel takes a moment to answer, so "own sent after every sibling answered"
    # also fails if its own cancel merely starts last but runs alongside the others.
    events: list[tuple[str, str]] = []

    def slow_sync(request: httpx.Request) -> httpx.Response:
        events.append(("sent", id_of(request)))
        time.sleep(0.01)
        events.append(("answered", id_of(request)))
        return httpx.Response(200, json=record("cancelling", id_of(request)))

    async def slow_async(request: httpx.Request) -> httpx.Response:
        events.append(("sent", id_of(request)))
        await asyncio.sleep(0.01)
        events.append(("answered", id_of(request)))
        return httpx.Response(200, json=record("cancelling", id_of(request)))

    api.post(url__regex=r"/cancel$").mock(
        side_effect=slow_sync if drive.mode == "sync" else slow_async
    )
    batch = drive.cancel_many(ops(self_invocation_id=OWN, concurrency=4), ids)
    assert batch.counts == {"cancel_requested": 4}
    assert sorted(posts(api)) == sorted([*SIBLINGS, OWN])  # each once, "self" resolved
    assert posts(api)[-1] == OWN
    own_sent = events.index(("sent", OWN))
    assert all(events.index(("answered", sibling)) < own_sent for sibling in SIBLINGS)
    assert batch.results[-1].invocation_id == OWN


# --- a 409 whose read-back fails ------------------------------------------------------


@pytest.mark.parametrize("read_back", [500, 404, "unreachable"])
def test_a_409_whose_read_back_fails_is_already_finished(
    api: respx.MockRouter,
    drive: Driver,
    read_back: int | str,
    audited: Audited,
) -> None:
    # A 409 means it had ended; the read-back only says how. Failing to read it back
    # must not turn "nothing to cancel" into an error the model retries.
    api.post(f"/v1/invocations/{INVOCATION_ID}/cancel").respond(
        409, json={"error": "Conflict", "code": "invocation.conflict", "requestId": "req_409"}
    )
    get = api.get(f"/v1/invocations/{INVOCATION_ID}")
    if read_back == "unreachable":
        get.mock(side_effect=httpx.ConnectError("connection refused"))
    else:
        get.respond(int(read_back), json={"error": "Nope", "code": "internal"})
    result = drive.cancel(ops(), INVOCATION_ID)
    assert get.called
    assert result.outcome is Outcome.ALREADY_FINISHED
    assert result.status is None  # unknown: the read-back failed
    assert result.message == (
        f"Invocation {INVOCATION_ID} had already finished; nothing to cancel."
    )
    assert not result.is_error
    assert result.error is not None  # the conflict, kept for whoever looks closer
    assert (result.error.code, result.error.request_id) == ("invocation.conflict", "req_409")
    assert audited() == [("request", None), ("result", "already_finished")]


def test_the_model_is_told_a_409_without_read_back_had_already_finished(
    api: respx.MockRouter,
) -> None:
    api.post(f"/v1/invocations/{INVOCATION_ID}/cancel").respond(
        409, json={"error": "Conflict", "code": "invocation.conflict"}
    )
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(503, json={"error": "Unavailable"})
    arguments = CancelInvocationInput(invocation_id=INVOCATION_ID)
    result = CANCEL_INVOCATION.run(ops(), arguments)
    assert result.text == f"Invocation {INVOCATION_ID} had already finished; nothing to cancel."
    assert result.is_error is False
    assert result.data["outcome"] == "already_finished"
    assert result.data["is_error"] is False
