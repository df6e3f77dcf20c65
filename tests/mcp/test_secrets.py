"""The API key never reaches a client: not in results, errors, logs or reprs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from mcp import Client
from mcp.server.mcpserver import MCPServer

from bctrl_tools.operations import Operations
from tests.mcp.conftest import CANARY_KEY, INVOCATION_ID, OTHER_ID, record


def echo_headers(request: httpx.Request) -> httpx.Response:
    # A misbehaving proxy that echoes the request, Authorization header included.
    return httpx.Response(401, json={"error": str(dict(request.headers))})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_key_is_in_no_result(
    server: MCPServer[Operations],
    api: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    caplog.set_level("DEBUG")
    api.route(path__startswith=f"/v1/invocations/{INVOCATION_ID}").mock(side_effect=echo_headers)
    api.route(path__startswith=f"/v1/invocations/{OTHER_ID}").respond(
        200, json=record(OTHER_ID, status="cancelling")
    )
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_invocation", {"invocation_id": INVOCATION_ID}),
        ("cancel_invocation", {"invocation_id": INVOCATION_ID, "wait_seconds": 1}),
        ("cancel_invocations", {"invocation_ids": [INVOCATION_ID, OTHER_ID]}),
        ("cancel_invocation", {"invocation_id": CANARY_KEY[:5]}),
        ("get_invocation", {"api_key": "x"}),
    ]
    async with Client(server, mode=mode) as client:
        seen = [(await client.list_tools()).model_dump_json()]
        for name, arguments in calls:
            seen.append((await client.call_tool(name, arguments)).model_dump_json())
    assert api.calls  # the key really was sent to bctrl, and echoed back
    assert "Bearer" in api.calls[0].request.headers["authorization"]
    assert any("[redacted]" in answer for answer in seen)  # echoed, and caught by the core
    for answer in seen:
        assert CANARY_KEY not in answer
    assert CANARY_KEY not in caplog.text
    assert CANARY_KEY not in repr(server)
