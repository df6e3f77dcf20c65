"""A drifted record through the MCP server: the status is told, the result fits its schema."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from tests.contract import outcome_by_id
from tests.drifting import load_record
from tests.mcp.conftest import INVOCATION_ID, ServerFactory, call, text

NOTE = "The record did not fully match the documented schema (2 fields)."


def drifted(status: str) -> dict[str, Any]:
    """The failed fixture, re-statused, without its space and one step's resolved target."""
    raw = {**load_record("failed"), "id": INVOCATION_ID, "status": status}
    del raw["spaceId"]
    del raw["result"]["steps"][0]["resolved"]
    return raw


@pytest.mark.parametrize(
    ("tool", "arguments", "status", "outcome"),
    [
        ("cancel_invocation", {"invocation_id": INVOCATION_ID}, "cancelling", "cancel_requested"),
        ("cancel_invocation", {"invocation_id": INVOCATION_ID}, "succeeded", "already_finished"),
        ("cancel_invocations", {"invocation_ids": [INVOCATION_ID]}, "cancelling", None),
        ("get_invocation", {"invocation_id": INVOCATION_ID}, "cancelling", None),
    ],
)
async def test_a_drifted_record_is_told_truthfully_and_fits_the_output_schema(
    make_server: ServerFactory,
    api: respx.MockRouter,
    tool: str,
    arguments: dict[str, Any],
    status: str,
    outcome: str | None,
) -> None:
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(200, json=drifted(status))
    api.post(f"/v1/invocations/{INVOCATION_ID}/cancel").respond(200, json=drifted(status))
    result = await call(make_server(), tool, arguments)  # checks the advertised schema
    content = result.structured_content
    assert content is not None
    assert not result.is_error
    if tool == "cancel_invocations":  # ids grouped; the per-id lines stay in .results
        assert outcome_by_id(content) == {INVOCATION_ID: "cancel_requested"}
        assert "did not fully match" not in text(result)
        return
    assert content["invocation"]["id"] == INVOCATION_ID  # a summary, not the record
    assert content["invocation"]["status"] == status
    if outcome is not None:
        assert content["outcome"] == outcome
    assert NOTE in content["message"]
    assert text(result).count("did not fully match") == 1
