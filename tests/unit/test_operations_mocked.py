"""Operations against a respx-mocked bctrl: the edge cases a live sandbox does not produce."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from bctrl_tools import BctrlConfigError, ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.outcomes import CancelOutcome, Outcome
from bctrl_tools.spec import CANCEL_INVOCATION, CancelInvocationInput
from tests.unit.conftest import CANARY_KEY, INVOCATION_ID, load_record

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"
GET = f"/v1/invocations/{INVOCATION_ID}"
IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(10)]


def ops(**rails: Any) -> Operations:
    settings = ClientSettings(api_key=CANARY_KEY, base_url="https://api.bctrl.test", max_retries=0)
    return Operations(settings=settings, guardrails=Guardrails(**rails))


def record(status: str, invocation_id: str = INVOCATION_ID) -> dict[str, Any]:
    return {**load_record("cancelling"), "id": invocation_id, "status": status}


def conflict() -> httpx.Response:
    return httpx.Response(409, json={"error": "Conflict", "code": "invocation.conflict"})


@pytest.mark.parametrize(
    ("status_after", "outcome"),
    [
        ("succeeded", Outcome.ALREADY_FINISHED),
        ("cancelling", Outcome.CANCEL_REQUESTED),
        ("running", Outcome.FAILED),  # a 409 that stopped nothing is not "finished"
    ],
)
def test_a_409_is_read_back_before_it_is_called_finished(
    api: respx.MockRouter, status_after: str, outcome: Outcome
) -> None:
    api.post(CANCEL).mock(return_value=conflict())
    read_back = api.get(GET).respond(200, json=record(status_after))
    result = ops().cancel(INVOCATION_ID)
    assert read_back.called
    assert result.outcome is outcome
    assert result.status == status_after


def test_a_cancel_answered_cancelled_just_now_is_cancelled(api: respx.MockRouter) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    api.post(CANCEL).respond(200, json={**record("cancelled"), "cancelRequestedAt": now})
    assert ops().cancel(INVOCATION_ID).outcome is Outcome.CANCELLED


def test_a_cancel_answered_cancelled_long_ago_is_already_finished(api: respx.MockRouter) -> None:
    api.post(CANCEL).respond(200, json=record("cancelled"))  # cancelRequestedAt hours ago
    assert ops().cancel(INVOCATION_ID).outcome is Outcome.ALREADY_FINISHED


# The server answers at 14:10:00 by its own clock, days before ours, which must not
# matter. A cancelRequestedAt within CLOCK_SLACK (2 s) of the answer is this call's.
SERVER_DATE = "Sat, 28 Nov 2026 14:10:00 GMT"


@pytest.mark.parametrize(
    ("requested_at", "outcome"),
    [
        ("2026-11-28T14:10:00.400Z", Outcome.CANCELLED),  # within the second of the answer
        ("2026-11-28T14:09:58.000Z", Outcome.CANCELLED),  # exactly the slack before it
        ("2026-11-28T14:09:57.999Z", Outcome.ALREADY_FINISHED),  # just past the slack
        ("2026-11-28T14:09:30.000Z", Outcome.ALREADY_FINISHED),  # 30 s: a repeat
    ],
)
def test_cancelled_by_this_call_or_before_is_decided_by_the_servers_clock(
    api: respx.MockRouter, requested_at: str, outcome: Outcome
) -> None:
    body = {**record("cancelled"), "cancelRequestedAt": requested_at}
    api.post(CANCEL).respond(200, json=body, headers={"Date": SERVER_DATE})
    assert ops().cancel(INVOCATION_ID).outcome is outcome


def test_the_servers_clock_is_kept_on_every_record(api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record("running"), headers={"Date": SERVER_DATE})
    served_at = ops().client.get_invocation(INVOCATION_ID).served_at
    assert served_at == datetime(2026, 11, 28, 14, 10, tzinfo=timezone.utc).timestamp()


def test_a_batch_shares_one_wait_deadline(api: respx.MockRouter) -> None:
    waits: list[int] = []

    async def wait(request: httpx.Request) -> httpx.Response:
        timeout_ms = json.loads(request.content)["timeoutMs"]
        waits.append(timeout_ms)
        await asyncio.sleep(timeout_ms / 1000)
        return httpx.Response(200, json=record("cancelling", request.url.path.split("/")[3]))

    api.post(url__regex=r"/cancel$").mock(
        side_effect=lambda request: httpx.Response(
            200, json=record("cancelling", request.url.path.split("/")[3])
        )
    )
    api.post(url__regex=r"/wait$").mock(side_effect=wait)
    operations = ops(concurrency=2)

    async def go() -> Any:
        try:
            return await operations.acancel_many(IDS[:6], wait_seconds=1)
        finally:
            await operations.aclose()

    batch = asyncio.run(go())
    assert batch.counts == {"cancel_requested": 6}
    # The first two waited out the second; nothing was left for the other four.
    assert len(waits) == 2
    assert all(0 < w <= 1000 for w in waits)


def test_finishing_on_its_own_meanwhile_is_reported_as_such(api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record("running"))
    api.post(CANCEL).respond(200, json=record("succeeded"))
    result = ops(confirm=True).cancel(INVOCATION_ID, confirm=lambda i, inv: None)
    assert result.outcome is Outcome.ALREADY_FINISHED
    assert "finished on its own" in result.message


def test_dry_run_of_a_finished_one_is_already_finished(api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record("failed"))
    cancel = api.post(CANCEL)
    assert ops(dry_run=True).cancel(INVOCATION_ID).outcome is Outcome.ALREADY_FINISHED
    assert not cancel.called


def test_the_budget_holds_exactly_under_a_concurrent_batch(api: respx.MockRouter) -> None:
    cancels = api.post(url__regex=r"/cancel$").mock(
        side_effect=lambda request: httpx.Response(
            200, json=record("cancelling", request.url.path.split("/")[3])
        )
    )
    batch = ops(max_cancels=3, concurrency=8).cancel_many(IDS)
    assert cancels.call_count == 3
    assert batch.counts == {"cancel_requested": 3, "refused": 7}


def test_async_batches_keep_to_their_concurrency(api: respx.MockRouter) -> None:
    in_flight = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json=record("cancelling", request.url.path.split("/")[3]))

    api.post(url__regex=r"/cancel$").mock(side_effect=slow)
    operations = ops(concurrency=3)

    async def go() -> Any:
        try:
            return await operations.acancel_many(IDS)
        finally:
            await operations.aclose()

    assert asyncio.run(go()).counts == {"cancel_requested": 10}
    assert peak == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_broken_item_or_callback_never_aborts_the_batch(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    api.post(url__regex=r"/cancel$").mock(
        side_effect=lambda request: httpx.Response(
            200, json=record("cancelling", request.url.path.split("/")[3])
        )
    )
    operations = ops()
    real_flow = operations._cancel_flow

    def flow(invocation_id: str, *args: Any) -> Any:
        if invocation_id == IDS[0]:
            raise RuntimeError("a bug")
        return real_flow(invocation_id, *args)

    def on_result(result: CancelOutcome) -> None:
        raise ValueError("a broken progress bar")

    monkeypatch.setattr(operations, "_cancel_flow", flow)
    if mode == "sync":
        batch = operations.cancel_many(IDS[:4], on_result=on_result)
    else:
        batch = asyncio.run(operations.acancel_many(IDS[:4], on_result=on_result))
    assert batch.counts == {"cancel_requested": 3, "failed": 1}
    assert batch.results[0].error is not None
    assert batch.results[0].error.code == "internal_error"
    assert "a bug" not in batch.results[0].message


def test_a_tool_never_raises_even_for_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    operations = ops()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(operations, "cancel", broken)
    result = CANCEL_INVOCATION.run(operations, CancelInvocationInput(invocation_id=INVOCATION_ID))
    assert result.is_error
    assert "failed unexpectedly" in result.text
    assert "secret internals" not in result.text


def test_an_unwritable_audit_log_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(BctrlConfigError, match="BCTRL_AUDIT_LOG"):
        ops(audit_log=tmp_path / "missing-dir" / "audit.jsonl")


def test_guardrails_refuse_impossible_limits() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Guardrails(concurrency=0)
    with pytest.raises(ValueError, match="max_cancels"):
        Guardrails(max_cancels=-1)


def test_each_event_loop_gets_its_own_pool_and_all_are_closed(api: respx.MockRouter) -> None:
    api.get(GET).respond(200, json=record("running"))
    operations = ops()
    clients = []

    async def read() -> None:
        await operations.aget(INVOCATION_ID)
        clients.append(operations.async_client)

    asyncio.run(read())
    asyncio.run(read())  # a second loop: the first loop's pool is unusable here
    assert clients[0] is not clients[1]
    asyncio.run(operations.aclose())
    assert all(client._http.is_closed for client in clients)
