"""Fixtures for the MCP server's tests: in-process servers with bctrl mocked by respx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from mcp_server import create_server
from tests.conftest import MOCK_BASE_URL
from tests.contract import assert_fits_output_schema

BASE_URL = MOCK_BASE_URL
CANARY_KEY = "bk_live_CANARY_mcp_5e0d7a"
INVOCATION_ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"
OTHER_ID = "7b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
THIRD_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
SPACE_ID = "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"

ServerFactory = Callable[..., MCPServer[Operations]]


def record(
    invocation_id: str = INVOCATION_ID, status: str = "running", **extra: Any
) -> dict[str, Any]:
    """An invocation record as bctrl sends it."""
    return {
        "id": invocation_id,
        "runId": "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a",
        "runtimeId": "0e1d2c3b-4a59-4687-b6a5-c4d3e2f1a0b9",
        "runtimeKind": "browser",
        "spaceId": SPACE_ID,
        "status": status,
        "executionMode": "durable",
        "entryCall": "page.goto",
        "sequenceNo": 7,
        "stepCount": 3,
        "artifactCount": 0,
        "createdAt": "2026-11-28T14:02:11.512Z",
        "startedAt": "2026-11-28T14:02:12.004Z",
        "progress": {"step": 2, "totalSteps": 3, "currentCall": "page.click"},
        **extra,
    }


def text(result: CallToolResult) -> str:
    """The result's one text block."""
    assert len(result.content) == 1
    block = result.content[0]
    assert block.type == "text"
    return block.text


async def call(server: MCPServer[Operations], name: str, arguments: Any) -> CallToolResult:
    """Call a tool over the real SDK client, and check that its structuredContent fits the
    outputSchema the tool advertised in tools/list (errors included)."""
    async with Client(server) as client:
        result = await client.call_tool(name, arguments)
        advertised = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}
    assert_fits_output_schema(name, result.structured_content, advertised[name])
    return result


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "code": code, "requestId": "req_123"}}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BCTRL_* from the outside world leaks into a test."""
    for name in (
        "BCTRL_API_KEY", "BCTRL_BASE_URL", "BCTRL_TIMEOUT", "BCTRL_MAX_RETRIES",
        "BCTRL_READ_ONLY", "BCTRL_DRY_RUN", "BCTRL_ALLOWED_SPACE_IDS", "BCTRL_MAX_CANCELS",
        "BCTRL_CONFIRM", "BCTRL_INVOCATION_ID", "BCTRL_CONCURRENCY", "BCTRL_AUDIT_LOG",
        "BCTRL_MCP_AUTH_TOKEN", "BCTRL_MCP_ALLOWED_HOSTS",
        "BCTRL_MAX_CANCELS_WINDOW", "BCTRL_STATE_URL", "BCTRL_MCP_STATE_SECRET",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings() -> ClientSettings:
    # No retries: a failure answers at once instead of after a back-off.
    return ClientSettings(api_key=CANARY_KEY, base_url=BASE_URL, timeout=5.0, max_retries=0)


@pytest.fixture
def make_server(settings: ClientSettings) -> ServerFactory:
    """``make_server(read_only=True, ...)``: a server with these guardrails, mocked bctrl."""

    def make(**rails: Any) -> MCPServer[Operations]:
        return create_server(settings=settings, guardrails=Guardrails(**rails))

    return make


@pytest.fixture
def server(make_server: ServerFactory) -> MCPServer[Operations]:
    return make_server()
