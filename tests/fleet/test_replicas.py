"""Three real ``bctrl-mcp --stateless`` replicas sharing one Redis, against a real sandbox.

What issue 15 asks to hold for a fleet behind a load balancer: one cancel budget for
all, a window that rolls over, a confirmation that any replica can finish, and, with
Redis gone, cancels refused with nothing sent while reads still answer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ElicitRequestParams, ElicitResult, InputRequiredResult, InputResponses

from bctrl_tools.sandbox.process import SandboxProcess
from tests.fleet.redis_server import RedisServer
from tests.mcp.processes import TOKEN, free_port, over_http, running, server_env

pytestmark = pytest.mark.integration

SECRET = "fleet-secret-5b8c0e3f7a9d4c21b6e8f0a1c3d5e7f9"


@pytest.fixture(scope="module")
def logged_sandbox() -> Iterator[SandboxProcess]:
    """A sandbox of this module's own whose access log counts the POSTs it receives."""
    with SandboxProcess(api_key="fleet-sandbox-key", run_seconds=120, log_level="info") as box:
        yield box


def posts(sandbox: SandboxProcess, ids: Sequence[str]) -> int:
    """How many cancel POSTs for ``ids`` reached the sandbox."""
    log = sandbox.stderr_text()
    return sum(log.count(f'"POST /v1/invocations/{i}/cancel ') for i in ids)


class Fleet:
    """``replicas`` bctrl-mcp processes on their own ports, one Redis, one sandbox."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls

    def spread(self, ids: Sequence[str]) -> list[tuple[str, str]]:
        """Each id paired with a replica, round-robin, as a load balancer would."""
        return [(self.urls[k % len(self.urls)], i) for k, i in enumerate(ids)]


def start_fleet(
    stack: ExitStack, sandbox: SandboxProcess, tmp_path: Path, n: int, variables: dict[str, str]
) -> Fleet:
    env = server_env(
        BCTRL_API_KEY=sandbox.api_key,
        BCTRL_BASE_URL=sandbox.base_url,
        BCTRL_MCP_AUTH_TOKEN=TOKEN,
        **variables,
    )
    urls = []
    for k in range(n):
        port = free_port()
        args = ["--transport", "streamable-http", "--stateless", "--port", str(port)]
        stack.enter_context(running(args, env, tmp_path / f"replica-{k}.log", port))
        urls.append(f"http://127.0.0.1:{port}/mcp")
    return Fleet(urls)


async def call(url: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with over_http(url) as client:
        result = await client.call_tool(tool, arguments)
    content: dict[str, Any] = result.structured_content or {}
    return content


async def cancel_everywhere(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every (replica, id) cancel at once."""
    results: list[dict[str, Any]] = []

    async def one(url: str, invocation_id: str) -> None:
        results.append(await call(url, "cancel_invocation", {"invocation_id": invocation_id}))

    async with anyio.create_task_group() as group:
        for url, invocation_id in pairs:
            group.start_soon(one, url, invocation_id)
    return results


def outcomes(results: list[dict[str, Any]]) -> list[str]:
    return sorted(result["outcome"] for result in results)


def test_three_replicas_share_a_budget_of_five_under_30_concurrent_cancels(
    logged_sandbox: SandboxProcess, redis_url: str, tmp_path: Path
) -> None:
    ids = logged_sandbox.create_invocations(30)
    with ExitStack() as stack:
        variables = {"BCTRL_STATE_URL": redis_url, "BCTRL_MAX_CANCELS": "5"}
        fleet = start_fleet(stack, logged_sandbox, tmp_path, 3, variables)
        results = anyio.run(cancel_everywhere, fleet.spread(ids))
    assert outcomes(results) == ["cancel_requested"] * 5 + ["refused"] * 25
    assert posts(logged_sandbox, ids) == 5
    refused = [r for r in results if r["outcome"] == "refused"]
    assert all("counted for every replica at" in r["message"] for r in refused)


def test_without_a_shared_store_each_replica_counts_alone(
    logged_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    # Today's per-process budget, shown so the test above is known to mean something.
    ids = logged_sandbox.create_invocations(30)
    with ExitStack() as stack:
        fleet = start_fleet(stack, logged_sandbox, tmp_path, 3, {"BCTRL_MAX_CANCELS": "5"})
        results = anyio.run(cancel_everywhere, fleet.spread(ids))
    assert outcomes(results).count("cancel_requested") == 15
    assert posts(logged_sandbox, ids) == 15


def test_the_shared_window_rolls_over(
    logged_sandbox: SandboxProcess, redis_url: str, tmp_path: Path
) -> None:
    ids = logged_sandbox.create_invocations(6)
    variables = {
        "BCTRL_STATE_URL": redis_url,
        "BCTRL_MAX_CANCELS": "2",
        "BCTRL_MAX_CANCELS_WINDOW": "2s",
    }
    with ExitStack() as stack:
        fleet = start_fleet(stack, logged_sandbox, tmp_path, 3, variables)
        first = anyio.run(cancel_everywhere, fleet.spread(ids[:3]))
        assert outcomes(first) == ["cancel_requested"] * 2 + ["refused"]
        [refused] = [r for r in first if r["outcome"] == "refused"]
        assert "Budget returns in" in refused["message"]
        time.sleep(2.2)  # the window has passed for both
        second = anyio.run(cancel_everywhere, fleet.spread(ids[3:]))
    assert outcomes(second) == ["cancel_requested"] * 2 + ["refused"]
    assert posts(logged_sandbox, ids) == 4


async def not_asked_here(
    context: ClientRequestContext, params: ElicitRequestParams
) -> ElicitResult:
    # Declares form elicitation; the test carries the round from one replica to another.
    raise AssertionError("the rounds are driven by the test")


@asynccontextmanager
async def asking_client(url: str) -> AsyncIterator[Client]:
    """An SDK client over HTTP that declares it can ask its user (form elicitation)."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http,
        Client(
            streamable_http_client(url, http_client=http), elicitation_callback=not_asked_here
        ) as client,
    ):
        yield client


async def confirm_across(first: str, second: str, invocation_id: str) -> dict[str, Any]:
    """Ask on ``first``, answer yes on ``second``."""
    arguments = {"invocation_id": invocation_id}
    async with asking_client(first) as client:
        asked = await client.session.call_tool(
            "cancel_invocation", arguments, allow_input_required=True
        )
    assert isinstance(asked, InputRequiredResult)
    yes: InputResponses = {
        f"cancel:{invocation_id}": ElicitResult(action="accept", content={"cancel": True})
    }
    async with asking_client(second) as client:
        result = await client.session.call_tool(
            "cancel_invocation", arguments, input_responses=yes, request_state=asked.request_state
        )
    return result.structured_content or {}


def test_a_confirmation_started_on_one_replica_finishes_on_another(
    logged_sandbox: SandboxProcess, redis_url: str, tmp_path: Path
) -> None:
    [invocation_id] = logged_sandbox.create_invocations(1)
    variables = {
        "BCTRL_STATE_URL": redis_url,
        "BCTRL_CONFIRM": "1",
        "BCTRL_MCP_STATE_SECRET": SECRET,
    }
    with ExitStack() as stack:
        fleet = start_fleet(stack, logged_sandbox, tmp_path, 2, variables)
        result = anyio.run(confirm_across, fleet.urls[0], fleet.urls[1], invocation_id)
    assert result["outcome"] == "cancel_requested"
    assert posts(logged_sandbox, [invocation_id]) == 1


def test_with_redis_killed_cancels_are_refused_and_reads_answered(
    logged_sandbox: SandboxProcess, own_redis: RedisServer, tmp_path: Path
) -> None:
    ids = logged_sandbox.create_invocations(9)
    variables = {"BCTRL_STATE_URL": own_redis.url, "BCTRL_MAX_CANCELS": "100"}
    with ExitStack() as stack:
        fleet = start_fleet(stack, logged_sandbox, tmp_path, 3, variables)
        before = anyio.run(cancel_everywhere, fleet.spread(ids[:3]))
        assert outcomes(before) == ["cancel_requested"] * 3
        own_redis.kill()
        after = anyio.run(cancel_everywhere, fleet.spread(ids[3:]))
        reads = [
            anyio.run(call, url, "get_invocation", {"invocation_id": ids[4]}) for url in fleet.urls
        ]
    assert outcomes(after) == ["refused"] * 6
    for result in after:
        assert f"{own_redis.url} (BCTRL_STATE_URL)" in result["message"]
        assert "Nothing was sent" in result["message"]
    assert posts(logged_sandbox, ids) == 3
    assert [read["invocation"]["status"] for read in reads] == ["running"] * 3
