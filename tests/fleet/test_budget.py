"""The cancel budget, in process and in Redis: atomic, windowed, and closed when Redis is gone."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from bctrl_tools.budget import Budget, CancelBudget, StoreUnavailable, Verdict, spent_message
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.redis_store import BUDGET_KEY, RedisBudget
from tests.fleet.redis_server import RedisServer


def test_two_replicas_threads_never_overspend(redis_url: str) -> None:
    # Two "replicas" (two stores, two pools), 40 threads each, one budget of 5.
    replicas = [RedisBudget(redis_url, limit=5), RedisBudget(redis_url, limit=5)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        verdicts = list(pool.map(lambda i: replicas[i % 2].take(), range(80)))
    assert sum(v.granted for v in verdicts) == 5
    assert all(v.returns_in is None for v in verdicts if not v.granted)
    with redis.Redis.from_url(redis_url) as client:
        assert client.get(BUDGET_KEY) == b"5"  # refusals spent nothing
    for replica in replicas:
        replica.close()


async def test_async_takes_never_overspend(redis_url: str) -> None:
    replicas = [RedisBudget(redis_url, limit=5, window=60) for _ in range(3)]
    verdicts = await asyncio.gather(*(replicas[i % 3].atake() for i in range(60)))
    assert sum(v.granted for v in verdicts) == 5
    refused = [v for v in verdicts if not v.granted]
    assert all(v.returns_in is not None and 59 < v.returns_in <= 60 for v in refused)
    for replica in replicas:
        await replica.aclose()


@pytest.mark.parametrize("where", ["process", "redis"])
def test_the_window_rolls_over(where: str, request: pytest.FixtureRequest) -> None:
    budget: Budget = CancelBudget(2, window=0.5)
    if where == "redis":  # only this case needs a redis-server
        budget = RedisBudget(request.getfixturevalue("redis_url"), 2, 0.5)
    assert [bool(budget.take()) for _ in range(3)] == [True, True, False]
    refused = budget.take()
    assert refused.returns_in is not None
    assert 0 < refused.returns_in <= 0.5
    time.sleep(refused.returns_in + 0.05)
    assert [bool(budget.take()) for _ in range(3)] == [True, True, False]
    budget.close()


def test_a_sliding_window_returns_one_cancel_at_a_time() -> None:
    budget = CancelBudget(2, window=0.6)
    assert budget.take()
    time.sleep(0.3)
    assert budget.take()
    assert not budget.take()
    time.sleep(0.35)  # the first cancel has left the window, the second has not
    assert [bool(budget.take()) for _ in range(2)] == [True, False]


def test_without_a_window_nothing_returns(redis_url: str) -> None:
    budget = RedisBudget(redis_url, limit=1)
    assert budget.take() == Verdict(granted=True)
    assert budget.take() == Verdict(granted=False, returns_in=None)
    budget.close()


@pytest.mark.parametrize("window", [None, 60.0])
def test_a_limit_of_zero_refuses_at_once(window: float | None) -> None:
    assert CancelBudget(0, window).take() == Verdict(granted=False, returns_in=None)


@pytest.mark.parametrize("window", [None, 60.0])
def test_a_limit_of_zero_refuses_at_once_in_redis(redis_url: str, window: float | None) -> None:
    budget = RedisBudget(redis_url, 0, window)
    assert budget.take() == Verdict(granted=False, returns_in=None)
    budget.close()


async def test_an_unreachable_redis_refuses_naming_the_store(own_redis: RedisServer) -> None:
    budget = RedisBudget(own_redis.url.replace("/0", "/3"), limit=5)
    assert budget.take()
    own_redis.kill()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as sync_error:
        budget.take()
    with pytest.raises(StoreUnavailable) as async_error:
        await budget.atake()
    assert time.monotonic() - started < 5  # refused promptly, not after a long back-off
    for error in (sync_error.value, async_error.value):
        assert f"redis://127.0.0.1:{own_redis.port}/3" in str(error)
        assert "BCTRL_STATE_URL" in str(error)
    await budget.aclose()


def test_a_password_never_appears_in_the_refusal() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    budget = RedisBudget("redis://fleet:s3cret-pw@127.0.0.1:1/0", limit=5)
    with pytest.raises(StoreUnavailable) as error:
        budget.take()
    assert "s3cret-pw" not in str(error.value)
    assert "s3cret-pw" not in repr(budget.store)
    assert "redis://fleet:***@127.0.0.1:1/0" in str(error.value)


def test_without_a_state_url_the_budget_is_in_process(redis_url: str) -> None:
    from bctrl_tools.budget import open_budget

    assert isinstance(open_budget(Guardrails(max_cancels=3)), CancelBudget)
    shared = open_budget(Guardrails(max_cancels=3, state_url=redis_url))
    assert isinstance(shared, RedisBudget)
    assert "(BCTRL_STATE_URL)" in shared.where


def test_the_refusal_says_when_budget_returns() -> None:
    budget = CancelBudget(1, window=3600)
    assert budget.take()
    verdict = budget.take()
    message = spent_message(budget, verdict, now=0.0)  # 00:00:00 UTC
    assert "at most 1 cancel requests per 1h" in message
    assert "BCTRL_MAX_CANCELS_WINDOW" in message
    assert verdict.returns_in is not None
    assert "Budget returns in 1h (at 01:00:00 UTC)" in message
    assert "Nothing was sent" in message


def test_a_shared_refusal_names_the_store(redis_url: str) -> None:
    budget = RedisBudget(redis_url, limit=0)
    message = spent_message(budget, budget.take())
    assert f"counted for every replica at {redis_url} (BCTRL_STATE_URL)" in message
    budget.close()
