"""The budget step in both drivers: counted in Redis, refused when Redis is gone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import redis
import respx

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.redis_store import BUDGET_KEY, WINDOW_KEY
from tests.conftest import MOCK_BASE_URL
from tests.fleet.redis_server import RedisServer
from tests.mcp.conftest import INVOCATION_ID, OTHER_ID, SPACE_ID, record

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"


@pytest.fixture
def bctrl(api: respx.MockRouter) -> respx.MockRouter:
    for invocation_id in (INVOCATION_ID, OTHER_ID):
        api.get(f"/v1/invocations/{invocation_id}").respond(200, json=record(invocation_id))
        api.post(f"/v1/invocations/{invocation_id}/cancel").respond(
            200, json=record(invocation_id, status="cancelling")
        )
    return api


def operations(**rails: object) -> Operations:
    settings = ClientSettings(api_key="k-fleet", base_url=MOCK_BASE_URL, max_retries=0)
    return Operations(settings=settings, guardrails=Guardrails.model_validate(rails))


def counted(url: str, key: str = BUDGET_KEY) -> int:
    with redis.Redis.from_url(url) as client:
        return int(client.get(key) or 0) if key == BUDGET_KEY else client.zcard(key)


def test_the_sync_driver_takes_from_redis(redis_url: str, bctrl: respx.MockRouter) -> None:
    ops = operations(max_cancels=1, state_url=redis_url)
    assert ops.cancel(INVOCATION_ID).outcome == "cancel_requested"
    refused = ops.cancel(OTHER_ID)
    ops.close()
    assert refused.outcome == "refused"
    assert "counted for every replica" in refused.message
    assert counted(redis_url) == 1
    assert not bctrl.routes[3].called  # OTHER_ID's cancel


async def test_the_async_driver_takes_from_redis(redis_url: str, bctrl: respx.MockRouter) -> None:
    ops = operations(max_cancels=5, max_cancels_window=60, state_url=redis_url)
    batch = await ops.acancel_many([INVOCATION_ID, OTHER_ID])
    await ops.aclose()
    assert batch.counts == {"cancel_requested": 2}
    assert counted(redis_url, WINDOW_KEY) == 2


async def test_a_refused_cancel_spends_nothing_in_redis(
    redis_url: str, bctrl: respx.MockRouter
) -> None:
    ops = operations(max_cancels=5, state_url=redis_url, allowed_space_ids={"another-space"})
    result = await ops.acancel(INVOCATION_ID)
    await ops.aclose()
    assert result.outcome == "refused"
    assert SPACE_ID in result.message
    assert counted(redis_url) == 0


@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_with_redis_gone_cancels_are_refused_and_reads_work(
    own_redis: RedisServer, bctrl: respx.MockRouter, driver: str
) -> None:
    ops = operations(max_cancels=5, state_url=own_redis.url)
    own_redis.kill()
    if driver == "sync":
        result, read = ops.cancel(INVOCATION_ID), ops.get(INVOCATION_ID)
    else:
        result, read = await ops.acancel(INVOCATION_ID), await ops.aget(INVOCATION_ID)
    await ops.aclose()
    assert result.outcome == "refused"
    assert f"{own_redis.url} (BCTRL_STATE_URL)" in result.message
    assert "Nothing was sent" in result.message
    assert not bctrl.routes[1].called  # the cancel POST
    assert read.status == "running"


def test_without_a_state_url_redis_is_never_imported() -> None:
    probe = """
import json, sys
from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from mcp_server import create_server
rails = Guardrails(max_cancels=3, max_cancels_window=60, confirm=True)
ops = Operations(settings=ClientSettings(api_key="k"), guardrails=rails)
assert ops.budget.take()
create_server(settings=ClientSettings(api_key="k"), guardrails=rails)
print(json.dumps(sorted(sys.modules)))
"""
    env = {"PATH": "/usr/bin:/bin"}
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", probe], text=True, env=env))
    assert not [name for name in loaded if name.split(".")[0] == "redis"]
    assert "bctrl_tools.redis_store" not in loaded
