"""Every failure reaches the agent as a ToolMessage(status="error") with the curated message.

bctrl is mocked with respx (no sockets); each case runs through the sync and the async path.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from bctrl_tools import AsyncBctrlClient, BctrlClient, ClientSettings
from bctrl_tools.langchain import CancelInvocationsTool, CancelInvocationTool, GetInvocationTool
from bctrl_tools.langchain.tools import BctrlTool
from tests.langchain.calls import MODES, Mode, call_tool, tool_call
from tests.langchain.conftest import BASE_URL, CANARY_KEY, INVOCATION_ID, record

OTHER_ID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
GET = f"/v1/invocations/{INVOCATION_ID}"
CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"
NOT_FOUND = httpx.Response(
    404, json={"error": "invocation not found", "code": "not_found", "requestId": "req_404"}
)
UNAUTHORIZED = httpx.Response(401, json={"error": "invalid api key", "code": "unauthorized"})

pytestmark = pytest.mark.parametrize("mode", MODES)


def make(cls: type[BctrlTool]) -> BctrlTool:
    return cls(api_key=CANARY_KEY, base_url=BASE_URL)


def assert_error(content: object, *needles: str) -> None:
    assert isinstance(content, str)
    assert "Traceback" not in content
    for needle in needles:
        assert needle in content


def test_get_answers_the_report_line_and_the_camelcase_record(
    mode: Mode, api: respx.MockRouter
) -> None:
    api.get(GET).mock(return_value=httpx.Response(200, json=record("running")))
    message = call_tool(mode, make(GetInvocationTool), {"invocation_id": INVOCATION_ID})
    artifact: dict[str, Any] = message.artifact
    assert message.status == "success"
    assert message.content == artifact["message"]
    # The summary the model also sees, and the record as received, which no model pays for.
    assert artifact["invocation"]["status"] == "running"
    assert artifact["record"] == record("running")


def test_cancel_answers_the_outcome_line_and_the_record(mode: Mode, api: respx.MockRouter) -> None:
    api.post(CANCEL).mock(return_value=httpx.Response(200, json=record("cancelling")))
    message = call_tool(mode, make(CancelInvocationTool), {"invocation_id": INVOCATION_ID})
    assert message.status == "success"
    assert message.content == message.artifact["message"]
    assert message.artifact["outcome"] == "cancel_requested"
    assert message.artifact["invocation"]["status"] == "cancelling"
    assert message.artifact["record"] == record("cancelling")


def test_an_already_finished_invocation_is_not_an_error(mode: Mode, api: respx.MockRouter) -> None:
    api.post(CANCEL).mock(return_value=httpx.Response(409, json={"error": "already finished"}))
    api.get(GET).mock(return_value=httpx.Response(200, json=record("succeeded")))
    message = call_tool(mode, make(CancelInvocationTool), {"invocation_id": INVOCATION_ID})
    assert message.status == "success"
    assert message.artifact["outcome"] == "already_finished"


@pytest.mark.parametrize("cls", [GetInvocationTool, CancelInvocationTool])
def test_an_unknown_id_is_an_error_message(
    mode: Mode, api: respx.MockRouter, cls: type[BctrlTool]
) -> None:
    api.get(GET).mock(return_value=NOT_FOUND)
    api.post(CANCEL).mock(return_value=NOT_FOUND)
    message = call_tool(mode, make(cls), {"invocation_id": INVOCATION_ID})
    assert message.status == "error"
    assert_error(message.content, "HTTP 404", "req_404", INVOCATION_ID)


@pytest.mark.parametrize("cls", [GetInvocationTool, CancelInvocationTool])
def test_a_rejected_key_names_bctrl_api_key(
    mode: Mode, api: respx.MockRouter, cls: type[BctrlTool]
) -> None:
    api.get(GET).mock(return_value=UNAUTHORIZED)
    api.post(CANCEL).mock(return_value=UNAUTHORIZED)
    message = call_tool(mode, make(cls), {"invocation_id": INVOCATION_ID})
    assert message.status == "error"
    assert_error(message.content, "HTTP 401", "BCTRL_API_KEY")


@pytest.mark.parametrize("cls", [GetInvocationTool, CancelInvocationTool])
def test_a_timeout_is_an_error_message(
    mode: Mode, api: respx.MockRouter, no_backoff: list[float], cls: type[BctrlTool]
) -> None:
    api.get(GET).mock(side_effect=httpx.ReadTimeout("slow"))
    api.post(CANCEL).mock(side_effect=httpx.ReadTimeout("slow"))
    message = call_tool(mode, make(cls), {"invocation_id": INVOCATION_ID})
    assert message.status == "error"
    assert_error(message.content, "Timed out", "safe to try again")
    assert len(no_backoff) == 2  # the client's own retries ran first


@pytest.mark.parametrize("cls", [GetInvocationTool, CancelInvocationTool])
@pytest.mark.parametrize("bad_id", ["../admin", "id with space", "self"])
def test_a_bad_id_is_refused_before_any_request(
    mode: Mode, api: respx.MockRouter, cls: type[BctrlTool], bad_id: str
) -> None:
    message = call_tool(mode, make(cls), {"invocation_id": bad_id})
    assert message.status == "error"
    assert_error(message.content, "nvocation")
    assert not api.calls


@pytest.mark.parametrize(
    ("cls", "args", "needles"),
    [
        (GetInvocationTool, {}, ["Invalid arguments for get_invocation", "invocation_id"]),
        (CancelInvocationTool, {}, ["Invalid arguments for cancel_invocation", "invocation_id"]),
        (CancelInvocationsTool, {}, ["Invalid arguments for cancel_invocations"]),
        (CancelInvocationsTool, {"invocation_ids": []}, ["invocation_ids"]),
        (
            CancelInvocationTool,
            {"invocation_id": INVOCATION_ID, "wait_seconds": "soon"},
            ["wait_seconds"],
        ),
        (CancelInvocationTool, {"invocation_id": INVOCATION_ID, "wait_seconds": 301}, ["300"]),
        (GetInvocationTool, {"id": INVOCATION_ID}, ["id: Extra inputs are not permitted"]),
    ],
)
def test_invalid_or_missing_arguments_get_the_specs_message(
    mode: Mode,
    api: respx.MockRouter,
    cls: type[BctrlTool],
    args: dict[str, Any],
    needles: list[str],
) -> None:
    message = call_tool(mode, make(cls), args)
    assert message.status == "error"
    assert_error(message.content, *needles, "Nothing was done.")
    assert not api.calls


def test_a_batch_with_some_failures_is_not_an_error(mode: Mode, api: respx.MockRouter) -> None:
    api.post(CANCEL).mock(return_value=httpx.Response(200, json=record("cancelling")))
    api.post(f"/v1/invocations/{OTHER_ID}/cancel").mock(return_value=NOT_FOUND)
    args = {"invocation_ids": [INVOCATION_ID, OTHER_ID]}
    message = call_tool(mode, make(CancelInvocationsTool), args)
    assert message.status == "success"
    assert message.artifact["counts"] == {"cancel_requested": 1, "not_found": 1}
    assert OTHER_ID in str(message.content)  # the line names what did not stop


def test_a_batch_where_every_id_fails_is_an_error(mode: Mode, api: respx.MockRouter) -> None:
    api.post(CANCEL).mock(return_value=NOT_FOUND)
    api.post(f"/v1/invocations/{OTHER_ID}/cancel").mock(return_value=NOT_FOUND)
    args = {"invocation_ids": [INVOCATION_ID, OTHER_ID]}
    message = call_tool(mode, make(CancelInvocationsTool), args)
    assert message.status == "error"
    assert_error(message.content, "2 not found")


async def test_without_a_tool_call_the_error_text_is_returned(
    mode: Mode, api: respx.MockRouter
) -> None:
    api.get(GET).mock(return_value=NOT_FOUND)
    tool = make(GetInvocationTool)
    args = {"invocation_id": INVOCATION_ID}
    answer = tool.invoke(args) if mode == "sync" else await tool.ainvoke(args)
    assert_error(answer, "HTTP 404")
    await tool.operations.aclose()


async def test_each_path_uses_only_its_own_client(
    mode: Mode, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.get(GET).mock(return_value=httpx.Response(200, json=record("running")))
    settings = ClientSettings(api_key=CANARY_KEY, base_url=BASE_URL)
    with BctrlClient(settings=settings) as client:
        async with AsyncBctrlClient(settings=settings) as async_client:
            unused = async_client if mode == "sync" else client
            monkeypatch.setattr(unused, "get_invocation", _must_not_be_called)
            tool = GetInvocationTool(client=client, async_client=async_client)
            call = tool_call(tool, {"invocation_id": INVOCATION_ID})
            message = tool.invoke(call) if mode == "sync" else await tool.ainvoke(call)
    assert message.status == "success"


def _must_not_be_called(*args: object) -> None:
    raise AssertionError("the other path's client was used")


async def test_a_plain_string_input_is_the_invocation_id(mode: Mode, api: respx.MockRouter) -> None:
    api.get(GET).mock(return_value=httpx.Response(200, json=record("running")))
    tool = make(GetInvocationTool)
    answer = tool.invoke(INVOCATION_ID) if mode == "sync" else await tool.ainvoke(INVOCATION_ID)
    assert answer.startswith(f"Invocation {INVOCATION_ID}: running")
    await tool.operations.aclose()
