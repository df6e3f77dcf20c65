"""A drifted record through the LangChain tools: the artifact tells the status, fits its schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from bctrl_tools.langchain import CancelInvocationTool, GetInvocationTool
from bctrl_tools.langchain.tools import BctrlTool
from tests.contract import assert_fits_output_schema
from tests.langchain.calls import MODES, Mode, call_tool
from tests.langchain.conftest import BASE_URL, CANARY_KEY, INVOCATION_ID, record

NOTE = "The record did not fully match the documented schema (2 fields)."


def drifted(status: str) -> dict[str, Any]:
    raw = record(status)
    del raw["spaceId"]
    raw["progress"]["step"] = "two"
    return raw


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("cls", "outcome"), [(CancelInvocationTool, "cancel_requested"), (GetInvocationTool, None)]
)
def test_a_drifted_record_reaches_the_agent_truthfully(
    mode: Mode, api: respx.MockRouter, cls: type[BctrlTool], outcome: str | None
) -> None:
    api.get(f"/v1/invocations/{INVOCATION_ID}").mock(
        return_value=httpx.Response(200, json=drifted("cancelling"))
    )
    api.post(f"/v1/invocations/{INVOCATION_ID}/cancel").mock(
        return_value=httpx.Response(200, json=drifted("cancelling"))
    )
    tool = cls(api_key=CANARY_KEY, base_url=BASE_URL)
    message = call_tool(mode, tool, {"invocation_id": INVOCATION_ID})
    artifact: dict[str, Any] = message.artifact
    assert_fits_output_schema(tool.name, artifact)
    assert message.status == "success"
    assert artifact["invocation"]["status"] == "cancelling"  # the summary a model sees
    assert artifact.get("outcome") == outcome
    assert artifact["record"] == drifted("cancelling")  # the record as received
    assert isinstance(message.content, str)
    assert message.content.count(NOTE) == 1
