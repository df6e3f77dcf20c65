"""The tool specs: portable input schemas, curated argument errors, result lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bctrl_tools.models import Invocation
from bctrl_tools.outcomes import BatchOutcome, CancelOutcome, InvocationReport, Outcome
from bctrl_tools.spec import (
    CANCEL_INVOCATION,
    CANCEL_INVOCATIONS,
    GET_INVOCATION,
    TOOL_SPECS,
    ToolInputError,
    ToolSpec,
)
from tests.unit.conftest import load_record

FORBIDDEN_KEYS = {"$ref", "$defs", "anyOf", "oneOf", "allOf"}


def walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for value in node.values() for n in walk(value))]
    if isinstance(node, list):
        return [n for value in node for n in walk(value)]
    return []


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name)
def test_input_schemas_are_portable(spec: ToolSpec[Any, Any]) -> None:
    schema = spec.input_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    for node in walk(schema):
        assert not FORBIDDEN_KEYS & node.keys(), node
        assert not isinstance(node.get("type"), list), node
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    assert json.loads(json.dumps(schema)) == schema


def test_names_are_unique_and_hints_consistent() -> None:
    assert len({spec.name for spec in TOOL_SPECS}) == len(TOOL_SPECS)
    for spec in TOOL_SPECS:
        assert spec.hints.read_only != spec.hints.destructive
        assert spec.hints.idempotent
    assert CANCEL_INVOCATION.hints.destructive
    assert GET_INVOCATION.hints.read_only


def test_required_fields() -> None:
    assert CANCEL_INVOCATION.input_schema()["required"] == ["invocation_id"]
    assert CANCEL_INVOCATIONS.input_schema()["required"] == ["invocation_ids"]


@pytest.mark.parametrize(
    ("spec", "arguments", "needle"),
    [
        (CANCEL_INVOCATION, {}, "invocation_id: Field required"),
        (CANCEL_INVOCATION, {"invocation_id": 42}, "invocation_id: Input should be a valid string"),
        (
            CANCEL_INVOCATION,
            {"invocation_id": "x", "wait_seconds": 900},
            "less than or equal to 300",
        ),
        (CANCEL_INVOCATION, {"invocation_id": "x", "force": True}, "force: Extra inputs"),
        (CANCEL_INVOCATIONS, {"invocation_ids": []}, "at least 1 item"),
        (GET_INVOCATION, "not an object", "valid dictionary"),
    ],
)
def test_bad_arguments_get_a_curated_message(
    spec: ToolSpec[Any, Any], arguments: object, needle: str
) -> None:
    with pytest.raises(ToolInputError) as caught:
        spec.parse(arguments)
    message = str(caught.value)
    assert needle in message
    assert message.startswith(f"Invalid arguments for {spec.name}:")
    assert "Nothing was done" in message


def test_batch_summary_counts_in_outcome_order() -> None:
    results = [
        CancelOutcome(invocation_id=str(i), outcome=outcome, message="m")
        for i, outcome in enumerate(
            [
                Outcome.NOT_FOUND,
                Outcome.CANCEL_REQUESTED,
                Outcome.CANCEL_REQUESTED,
                Outcome.ALREADY_FINISHED,
            ]
        )
    ]
    batch = BatchOutcome.of(results)
    assert batch.summary == "4 invocations: 2 cancel requested, 1 already finished, 1 not found."
    assert batch.counts == {"cancel_requested": 2, "already_finished": 1, "not_found": 1}


def test_report_line_tells_a_supervisor_what_it_needs() -> None:
    invocation = Invocation.model_validate(load_record("cancelling"))
    started = 1_795_874_532.004  # 2026-11-28T14:02:12.004Z
    report = InvocationReport.of(invocation, now=started + 600)
    assert report.step == 2
    assert report.total_steps == 3
    assert report.current_call == "page.click"
    assert report.running_seconds == pytest.approx(600, abs=0.01)
    assert report.message == (
        "Invocation 3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90: cancelling; step 2/3 (page.click); "
        "running for 10m; last heartbeat 2m26s ago; not shown: request: 3 steps (391 B); "
        'metadata: 2 keys (31 B) (detail "full" shows them).'
    )


def test_a_finished_report_has_no_heartbeat_age() -> None:
    invocation = Invocation.model_validate(load_record("failed"))
    report = InvocationReport.of(invocation)
    assert report.is_terminal
    assert report.heartbeat_age_seconds is None
    assert report.running_seconds == pytest.approx(3.5)
    assert "ran 3.5s" in report.message
