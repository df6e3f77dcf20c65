"""A confirmation round started on one replica and finished on another, used once."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
import respx
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import ElicitRequestParams, ElicitResult, InputRequiredResult, InputResponses

from bctrl_tools import ClientSettings
from bctrl_tools.errors import BctrlConfigError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from mcp_server import create_server
from mcp_server.options import parse_options
from tests.conftest import MOCK_BASE_URL
from tests.fleet.redis_server import RedisServer
from tests.mcp.conftest import INVOCATION_ID, record, text

SECRET = "0123456789abcdef0123456789abcdef-fleet"
ARGUMENTS = {"invocation_id": INVOCATION_ID}
YES: InputResponses = {
    f"cancel:{INVOCATION_ID}": ElicitResult(action="accept", content={"cancel": True})
}


@pytest.fixture
def bctrl(api: respx.MockRouter) -> respx.Route:
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(200, json=record())
    return api.post(f"/v1/invocations/{INVOCATION_ID}/cancel").respond(
        200, json=record(status="cancelling")
    )


def replica(state_url: str | None, secret: str | None) -> MCPServer[Operations]:
    settings = ClientSettings(api_key="k-fleet", base_url=MOCK_BASE_URL, max_retries=0)
    rails = Guardrails(confirm=True, state_url=state_url)
    return create_server(settings=settings, guardrails=rails, state_secret=secret or "")


async def never_called(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
    # Declares form elicitation; the rounds are driven by hand below, not by the SDK.
    raise AssertionError("the test answers the rounds itself")


async def ask(server: MCPServer[Operations]) -> str:
    """Round one on ``server``: the sealed requestState it answers with."""
    async with Client(server, elicitation_callback=never_called) as client:
        asked = await client.session.call_tool(
            "cancel_invocation", ARGUMENTS, allow_input_required=True
        )
    assert isinstance(asked, InputRequiredResult)
    state = asked.request_state
    assert state is not None
    return state


async def answer(server: MCPServer[Operations], state: str) -> Any:
    """Round two on ``server``: the person's yes, with the state round one gave."""
    async with Client(server, elicitation_callback=never_called) as client:
        return await client.session.call_tool(
            "cancel_invocation", ARGUMENTS, input_responses=YES, request_state=state
        )


async def test_any_replica_finishes_a_round_and_the_answer_is_used_once(
    redis_url: str, bctrl: respx.Route
) -> None:
    first, second = replica(redis_url, SECRET), replica(redis_url, SECRET)
    state = await ask(first)
    finished = await answer(second, state)
    assert finished.structured_content["outcome"] == "cancel_requested"
    # Replayed on the replica that asked, which has never seen the answer itself.
    replayed = await answer(first, state)
    assert replayed.structured_content["outcome"] == "refused"
    assert "already used once" in text(replayed)
    assert bctrl.call_count == 1


async def test_without_a_shared_secret_another_replica_cannot_read_the_round(
    redis_url: str, bctrl: respx.Route
) -> None:
    state = await ask(replica(redis_url, None))
    async with Client(replica(redis_url, None), elicitation_callback=never_called) as client:
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await client.session.call_tool(
                "cancel_invocation", ARGUMENTS, input_responses=YES, request_state=state
            )
    assert not bctrl.called


async def test_a_round_cannot_be_marked_used_without_redis(
    own_redis: RedisServer, bctrl: respx.Route
) -> None:
    first, second = replica(own_redis.url, SECRET), replica(own_redis.url, SECRET)
    state = await ask(first)
    own_redis.kill()
    refused = await answer(second, state)
    assert refused.structured_content["outcome"] == "refused"
    assert "could not be checked as unused" in text(refused)
    assert f"{own_redis.url} (BCTRL_STATE_URL)" in text(refused)
    assert not bctrl.called


def test_a_shared_secret_needs_a_shared_store() -> None:
    with pytest.raises(BctrlConfigError, match="set BCTRL_STATE_URL"):
        replica(None, SECRET)


def test_a_short_secret_is_refused_with_a_recipe() -> None:
    with pytest.raises(BctrlConfigError, match="at least 32 bytes") as error:
        replica("redis://127.0.0.1:6379/0", "too-short")  # never connected to
    assert "too-short" not in str(error.value)


def test_the_state_url_option_feeds_the_guardrails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BCTRL_STATE_URL", raising=False)
    options = parse_options(["--state-url", "redis://:pw-9@cache:6379/2"])
    assert options.guardrails().state_url == "redis://:pw-9@cache:6379/2"
    assert "pw-9" not in repr(options)
    monkeypatch.setenv("BCTRL_STATE_URL", "redis://cache:6379/5")
    assert parse_options([]).guardrails().state_url == "redis://cache:6379/5"


async def test_an_unanswered_round_expires(
    bctrl: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mcp_server.server.CONFIRMATION_TTL", 0.3)
    server = replica(None, None)
    state = await ask(server)
    await anyio.sleep(0.5)
    async with Client(server, elicitation_callback=never_called) as client:
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await client.session.call_tool(
                "cancel_invocation", ARGUMENTS, input_responses=YES, request_state=state
            )
    assert not bctrl.called
