"""The API key never shows: not in content, artifact, repr, str, serialization or logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
import respx
from langchain_core.load import dumps
from pydantic import SecretStr

from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.langchain.tools import TOOL_CLASSES, BctrlTool
from tests.langchain.calls import MODES, Mode, call_tool
from tests.langchain.conftest import BASE_URL, CANARY_KEY, INVOCATION_ID

ECHOING = [
    # A proxy that echoes the request's headers back: the key is in the error body.
    httpx.Response(401, json={"error": f"bad token Bearer {CANARY_KEY}", "code": CANARY_KEY}),
    httpx.Response(500, text=f"Authorization: Bearer {CANARY_KEY}"),
    httpx.Response(200, json={"echo": f"Bearer {CANARY_KEY}"}),
]
ARGS: dict[str, dict[str, Any]] = {
    "get_invocation": {"invocation_id": INVOCATION_ID},
    "cancel_invocation": {"invocation_id": INVOCATION_ID},
    "cancel_invocations": {"invocation_ids": [INVOCATION_ID]},
    "list_invocations": {"invocation_id": INVOCATION_ID},
}


def shown(obj: object) -> str:
    return "\n".join([repr(obj), str(obj), dumps(obj)])


@pytest.mark.parametrize("api_key", [CANARY_KEY, SecretStr(CANARY_KEY)])
def test_tools_and_toolkit_never_show_the_key(api_key: str | SecretStr) -> None:
    toolkit = BctrlToolkit(api_key=api_key, base_url=BASE_URL)
    tools = toolkit.get_tools()
    standalone = [cls(api_key=api_key, base_url=BASE_URL) for cls in TOOL_CLASSES.values()]
    for obj in [toolkit, *tools, *standalone]:
        assert CANARY_KEY not in shown(obj)
    for tool in [*tools, *standalone]:
        dumped = tool.model_dump()
        assert "operations" not in dumped
        assert CANARY_KEY not in str(dumped)
    assert "operations" not in toolkit.model_dump()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(TOOL_CLASSES))
@pytest.mark.parametrize("response", ECHOING)
def test_an_echoed_key_reaches_neither_the_model_nor_the_logs(
    api: respx.MockRouter,
    no_backoff: list[float],
    caplog: pytest.LogCaptureFixture,
    mode: Mode,
    name: str,
    response: httpx.Response,
) -> None:
    caplog.set_level(logging.DEBUG)
    api.route().mock(return_value=response)
    tool: BctrlTool = TOOL_CLASSES[name](api_key=CANARY_KEY, base_url=BASE_URL)
    message = call_tool(mode, tool, ARGS[name])
    assert message.status == "error"
    seen = [str(message.content), json.dumps(message.artifact), repr(message), caplog.text]
    assert all(CANARY_KEY not in text for text in seen)
    if response.status_code == 401 and name != "cancel_invocations":  # a batch line is a count
        assert "bad token Bearer [redacted]" in str(message.content)
