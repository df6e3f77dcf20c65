"""A record that drifts from the documented schema never hides how a cancel went.

Property tests take the valid fixture records, delete a field or change a value's type
at random, and check the model, the client (over respx) and the tools (through the
specs): the status is reported as sent, the drift is named, nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bctrl_tools import AsyncBctrlClient, BctrlClient, ClientSettings, Invocation
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.models import StepFailure
from bctrl_tools.operations import Operations
from bctrl_tools.outcomes import Outcome
from bctrl_tools.spec import CANCEL_INVOCATION, GET_INVOCATION, ToolResult, ToolSpec
from tests.contract import assert_result_fits
from tests.drifting import Drift, drifts, load_record
from tests.unit.conftest import BASE_URL, CANARY_KEY, INVOCATION_ID

NOTE = "did not fully match the documented schema"
ALL_STATUSES = ("queued", "running", "cancelling", "cancelled", "succeeded", "failed", "paused")
FINISHED = ("succeeded", "failed", "timed_out")
LONG_AGO = "2026-11-28T14:09:47.331Z"
SETTINGS = ClientSettings(api_key=CANARY_KEY, base_url=BASE_URL, max_retries=0)
# Model-only properties are cheap; those through a client or a tool are not.
MANY = settings(max_examples=300, deadline=None)
# respx and the clients are set up inside each example, not by function-scoped fixtures.
EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FEWER = settings(EXAMPLES, max_examples=15)  # for a test run once per status


def strictly_valid(record: dict[str, Any]) -> bool:
    try:
        Invocation.model_validate(record)
    except ValidationError:
        return False
    return True


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_tool(spec: ToolSpec[Any, Any], record: dict[str, Any], **rails: Any) -> ToolResult:
    """Run ``spec`` on INVOCATION_ID with bctrl answering ``record``; the result fits."""
    operations = Operations(settings=SETTINGS, guardrails=Guardrails(**rails))
    arguments = spec.parse({"invocation_id": INVOCATION_ID})
    with mocked_bctrl(record) as bctrl:
        result = spec.run(operations, arguments)
    operations.close()
    assert_result_fits(spec.name, result)
    if rails:  # a guardrail may refuse: then nothing was sent
        assert result.data["outcome"] != "refused" or not bctrl.routes["cancel"].called
    return result


def mocked_bctrl(record: dict[str, Any]) -> respx.MockRouter:
    router = respx.mock(base_url=BASE_URL, assert_all_called=False)
    router.get(f"/v1/invocations/{INVOCATION_ID}").respond(200, json=record)
    router.post(f"/v1/invocations/{INVOCATION_ID}/cancel", name="cancel").respond(200, json=record)
    return router


# --- the model --------------------------------------------------------------------


@MANY
@given(drifts(statuses=ALL_STATUSES))
def test_a_drifted_record_keeps_its_status_and_everything_it_sent(drift: Drift) -> None:
    invocation = Invocation.read_leniently(drift.record)
    assert (invocation.id, invocation.status) == (drift.record["id"], drift.record["status"])
    assert invocation.to_json_dict() == drift.record
    if strictly_valid(drift.record):
        assert invocation == Invocation.model_validate(drift.record)
        assert invocation.schema_warnings == ()
    else:
        assert invocation.schema_warnings


@MANY
@given(drifts(statuses=ALL_STATUSES))
def test_only_the_drifted_parts_lose_their_typed_view(drift: Drift) -> None:
    invocation = Invocation.read_leniently(drift.record)
    original = Invocation.model_validate(drift.original)
    for name, field in Invocation.model_fields.items():
        if drift.untouched(field.alias or name):
            assert getattr(invocation, name) == getattr(original, name), name
    for path in invocation.schema_warnings:
        top = path.split(".")[0]
        name = next(n for n, f in Invocation.model_fields.items() if (f.alias or n) == top)
        if path.startswith("result.steps.*"):  # a step result drifted: that step is None
            assert invocation.result is None or None in invocation.result.steps, path
        else:
            assert getattr(invocation, name) is None, path


@MANY
@given(
    st.integers(0, 1).flatmap(lambda i: drifts(inside=("result", "steps", i), names=("failed",)))
)
def test_a_drifted_step_result_leaves_the_others_typed(drift: Drift) -> None:
    invocation = Invocation.read_leniently(drift.record)
    original = Invocation.model_validate(drift.original)
    assert invocation.result is not None
    assert original.result is not None
    drifted = drift.changed[0][2]
    for index, step in enumerate(invocation.result.steps):
        if index != drifted:
            assert step == original.result.steps[index]
    assert (invocation.result.ok, invocation.result.mode) == (False, "fail-fast")
    assert invocation.request == original.request


def test_a_step_result_without_resolved_is_read_without_that_step() -> None:
    raw = {**load_record("failed"), "status": "cancelled"}
    del raw["result"]["steps"][0]["resolved"]
    invocation = Invocation.read_leniently(raw)
    assert invocation.status == "cancelled"
    assert invocation.schema_warnings == ("result.steps.*.resolved",)
    assert invocation.result is not None
    assert invocation.result.steps[0] is None
    assert isinstance(invocation.result.steps[1], StepFailure)
    assert invocation.request is not None
    assert invocation.progress is not None
    assert invocation.to_json_dict() == raw


def test_a_required_field_missing_or_of_another_type_is_none() -> None:
    raw = load_record("cancelling")
    del raw["spaceId"]
    raw.update(sequenceNo="forty-two", runId=None, progress=[], costUsd=0.5)
    invocation = Invocation.read_leniently(raw)
    assert invocation.schema_warnings == ("runId", "spaceId", "sequenceNo", "progress")
    assert (invocation.run_id, invocation.space_id, invocation.sequence_no) == (None,) * 3
    assert invocation.progress is None
    assert invocation.runtime_id == raw["runtimeId"]
    assert invocation.model_extra == {"costUsd": 0.5}
    assert invocation.model_copy().schema_warnings == invocation.schema_warnings
    assert invocation.model_copy(deep=True).to_json_dict() == raw


def test_a_deeply_nested_drifted_record_gives_back_what_it_sent() -> None:
    # Deeper than copy.deepcopy can go (~450 levels), as deep as the JSON parser reads.
    deep: Any = 1
    for _ in range(600):
        deep = [deep]
    raw = {**load_record("minimal"), "metadata": {"deep": deep}, "runId": 7}
    invocation = Invocation.read_leniently(raw)
    assert invocation.schema_warnings == ("runId",)
    assert invocation.to_json_dict() == raw


@pytest.mark.parametrize(
    "raw",
    [
        [load_record("minimal")],
        {"status": "running"},
        {"id": 7, "status": "running"},
        {"id": "x", "status": None},
        {"id": "x", "status": {"name": "running"}},
    ],
    ids=["not an object", "no id", "id a number", "status null", "status an object"],
)
def test_without_a_readable_id_and_status_a_record_is_unreadable(raw: Any) -> None:
    with pytest.raises(ValidationError):
        Invocation.read_leniently(raw)


def test_the_strict_read_still_refuses_null_where_a_value_is_required() -> None:
    with pytest.raises(ValidationError, match="runId"):
        Invocation.model_validate({**load_record("minimal"), "runId": None})


def test_each_drifted_path_is_logged_once_and_key_free(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bctrl_tools.drift._logged", set())
    raw = {**load_record("failed"), "runId": CANARY_KEY, "sequenceNo": CANARY_KEY}
    del raw["result"]["steps"][0]["resolved"]
    raw["result"]["steps"][1]["error"]["code"] = [CANARY_KEY]
    with caplog.at_level(logging.WARNING, logger="bctrl_tools"):
        for _ in range(3):
            Invocation.read_leniently(raw)
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 3
    for path in ("sequenceNo", "result.steps.*.resolved", "result.steps.*.error.code"):
        assert sum(f" at {path};" in line for line in logged) == 1
    assert not any(CANARY_KEY in line for line in logged)


# --- the client, over respx -------------------------------------------------------


@EXAMPLES
@given(drifts(statuses=ALL_STATUSES))
def test_the_clients_read_the_status_of_a_drifted_record(drift: Drift) -> None:
    async def read_async() -> list[Invocation]:
        async with AsyncBctrlClient(settings=SETTINGS) as client:
            return [
                await client.cancel_invocation(INVOCATION_ID),
                await client.get_invocation(INVOCATION_ID),
            ]

    with mocked_bctrl(drift.record), BctrlClient(settings=SETTINGS) as client:
        read = [client.cancel_invocation(INVOCATION_ID), client.get_invocation(INVOCATION_ID)]
        read += asyncio.run(read_async())
    for invocation in read:
        assert invocation.status == drift.record["status"]
        assert invocation.to_json_dict() == drift.record
        assert bool(invocation.schema_warnings) is not strictly_valid(drift.record)


# --- the tools, through the specs -------------------------------------------------


def expected_outcome(drift: Drift) -> Outcome:
    status = drift.record["status"]
    if status == "cancelling":
        return Outcome.CANCEL_REQUESTED
    if status == "cancelled" and drift.untouched("cancelRequestedAt"):
        return Outcome.CANCELLED  # cancelRequestedAt was set to now: this cancel did it
    return Outcome.ALREADY_FINISHED  # finished, or cancelled without a readable when


@pytest.mark.parametrize("status", ["cancelling", "cancelled", *FINISHED])
@FEWER
@given(data=st.data())
def test_cancel_reports_the_outcome_the_status_says(status: str, data: st.DataObject) -> None:
    drift = data.draw(drifts(statuses=(status,), cancelRequestedAt=LONG_AGO))
    record = dict(drift.record)
    if drift.untouched("cancelRequestedAt"):
        record["cancelRequestedAt"] = now_iso()  # so a "cancelled" answer was this cancel
    result = run_tool(CANCEL_INVOCATION, record)
    assert not result.is_error
    assert result.data["outcome"] == expected_outcome(drift).value
    assert result.data["status"] == record["status"]
    assert result.artifact["record"] == record  # as received; the model sees a summary
    assert result.text.count(NOTE) == (0 if strictly_valid(record) else 1)


@EXAMPLES
@given(drifts(statuses=ALL_STATUSES))
def test_get_reports_the_status_of_a_drifted_record(drift: Drift) -> None:
    result = run_tool(GET_INVOCATION, drift.record)
    assert not result.is_error
    assert result.data["invocation"]["status"] == drift.record["status"]
    assert result.text.count(NOTE) == (0 if strictly_valid(drift.record) else 1)


def test_the_note_counts_the_drifted_fields() -> None:
    raw = {**load_record("failed"), "status": "cancelling"}
    del raw["spaceId"]
    del raw["result"]["steps"][0]["resolved"]
    result = run_tool(CANCEL_INVOCATION, raw)
    assert result.data["outcome"] == "cancel_requested"
    assert result.text.endswith(" The record did not fully match the documented schema (2 fields).")


def test_a_drifted_space_is_refused_by_allowed_spaces() -> None:
    raw = load_record("cancelling")
    del raw["spaceId"]
    result = run_tool(CANCEL_INVOCATION, raw, allowed_space_ids=[raw["runtimeId"]])
    assert result.data["outcome"] == "refused"
    assert "has no readable space" in result.text
