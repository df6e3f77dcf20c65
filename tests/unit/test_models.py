from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from bctrl_tools import Invocation, InvocationStatus, RuntimeKind
from bctrl_tools.models import TERMINAL_STATUSES, StepFailure, StepSuccess
from tests.unit.conftest import load_record

SPEC = json.loads(
    (Path(__file__).parent.parent / "data" / "cancel-invocation-openapi.json").read_text()
)
RECORD_NAMES = ["cancelling", "failed", "minimal"]


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_fixture_records_follow_the_vendor_schema(name: str) -> None:
    schema = {"$ref": "#/components/schemas/invocations_cancel_Response_200", **SPEC}
    jsonschema.validate(load_record(name), schema)


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_dump_reproduces_what_the_server_sent(name: str) -> None:
    raw = load_record(name)
    invocation = Invocation.model_validate(raw)
    assert invocation.model_dump(mode="json", by_alias=True) == raw
    assert invocation.to_json_dict() == raw


def test_snake_case_attributes_read_camel_case_fields() -> None:
    invocation = Invocation.model_validate(load_record("cancelling"))
    assert invocation.cancel_requested_at == "2026-11-28T14:09:47.331Z"
    assert invocation.progress is not None
    assert (invocation.progress.step, invocation.progress.total_steps) == (2, 3)
    assert invocation.request is not None
    assert invocation.request.steps[1].options is not None
    assert invocation.request.steps[1].options.timeout_ms == 15000


def test_step_results_are_told_apart_by_ok() -> None:
    invocation = Invocation.model_validate(load_record("failed"))
    assert invocation.result is not None
    success, failure = invocation.result.steps
    assert isinstance(success, StepSuccess)
    assert success.binding is not None
    assert success.binding.type == "page"
    assert success.resolved.page_id is None
    assert isinstance(failure, StepFailure)
    assert failure.error.code == "UNKNOWN_CALL"
    assert failure.error.diagnostic is not None
    assert failure.error.diagnostic.category == "semantic"
    assert failure.error.diagnostic.fixes is not None
    assert failure.error.diagnostic.fixes[0].title == "Use page.click"


def test_unknown_enum_values_and_fields_parse_and_round_trip() -> None:
    raw = load_record("failed")
    raw.update(status="paused", runtimeKind="phone", executionMode="batch", costUsd=0.42)
    raw["result"]["steps"][1]["error"]["code"] = "QUOTA_EXCEEDED"
    raw["result"]["steps"][1]["error"]["diagnostic"]["category"] = "billing"
    raw["progress"]["etaMs"] = 1200
    invocation = Invocation.model_validate(raw)
    assert invocation.status == "paused"
    assert str(invocation.status) == "paused"
    assert not invocation.status.is_known
    assert not invocation.is_terminal
    assert invocation.runtime_kind == "phone"
    assert invocation.to_json_dict() == raw


@pytest.mark.parametrize("status", list(InvocationStatus))
def test_terminal_statuses(status: InvocationStatus) -> None:
    raw = {**load_record("minimal"), "status": status.value}
    expected = status.value in {"succeeded", "failed", "cancelled", "timed_out"}
    assert Invocation.model_validate(raw).is_terminal is expected
    assert (status in TERMINAL_STATUSES) is expected


def test_known_values_are_the_enum_members() -> None:
    invocation = Invocation.model_validate(load_record("minimal"))
    assert invocation.status is InvocationStatus.QUEUED
    assert invocation.runtime_kind is RuntimeKind.DESKTOP
    assert invocation.status.is_known


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": None}, "status"),
        ({"status": 7}, "status"),
        ({"sequenceNo": "many"}, "sequenceNo"),
    ],
)
def test_schema_violations_fail_validation(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Invocation.model_validate({**load_record("minimal"), **change})


def test_missing_required_field_fails_validation() -> None:
    raw = load_record("minimal")
    del raw["spaceId"]
    with pytest.raises(ValidationError, match="spaceId"):
        Invocation.model_validate(raw)
