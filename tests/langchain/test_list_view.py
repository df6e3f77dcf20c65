"""What a LangChain model is sent of list_invocations stays bounded: ToolMessage.content."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

from bctrl_tools.langchain import ListInvocationsTool
from tests.langchain.calls import MODES, Mode, call_tool
from tests.langchain.conftest import BASE_URL, CANARY_KEY
from tests.unit.runs import RUN_ID, record_data

VIEW_LIMIT = 40_000


@pytest.mark.parametrize("mode", MODES)
def test_500_items_fit_in_the_message_content(api: respx.MockRouter, mode: Mode) -> None:
    now = time.time()
    items = [
        record_data(now=now, started_ago=4000, progress={"step": 3, "currentCall": "x" * 9000})
        for _ in range(500)
    ]

    def pages(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor") or 0)
        cursor = str(start + 100) if start + 100 < len(items) else None
        return httpx.Response(
            200, json={"commands": items[start : start + 100], "nextCursor": cursor}
        )

    api.get(f"/v1/runs/{RUN_ID}/commands").mock(side_effect=pages)
    tool = ListInvocationsTool(api_key=CANARY_KEY, base_url=BASE_URL)
    message = call_tool(mode, tool, {"run_id": RUN_ID, "limit": 500, "min_steps": 3})
    assert message.status == "success"
    content = str(message.content)
    assert len(content) <= VIEW_LIMIT
    assert content.startswith(f"Run {RUN_ID}: 500 invocations listed (500 running)")
    assert content.endswith("more in the structured result.")
    named = [item["id"] for item in message.artifact["items"]] + message.artifact["other_ids"]
    assert len(set(named)) == 500
