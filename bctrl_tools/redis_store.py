"""Guardrail state kept in Redis (``BCTRL_STATE_URL``), shared by every replica using it.

Imported only when ``BCTRL_STATE_URL`` is set; needs the ``redis`` extra. Two things
live here:

* the cancel budget: one Lua script per take, so that the check and the spend are one
  atomic step however many replicas take at once, timed by Redis's own clock so that
  replicas whose clocks differ still agree on the window;
* single-use marks: ``SET NX PX``, so that a confirmation answer is used once.

Any Redis failure (refused, timed out, wrong password, read-only replica) raises
:class:`~bctrl_tools.budget.StoreUnavailable`: a cancel that cannot be counted is not sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

try:
    import redis
    import redis.asyncio
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as missing:  # pragma: no cover - depends on the install
    from bctrl_tools.errors import BctrlConfigError

    raise BctrlConfigError(
        "BCTRL_STATE_URL is set, which needs the redis package: pip install "
        "'bctrl-tools[redis]' (or unset BCTRL_STATE_URL to count in this process)."
    ) from missing

from bctrl_tools.budget import StoreUnavailable, Verdict
from bctrl_tools.guardrails import redacted_url

__all__ = ["BUDGET_KEY", "WINDOW_KEY", "RedisBudget", "RedisStore"]

BUDGET_KEY = "bctrl-tools:cancels"  # a counter: cancels ever sent (no window)
WINDOW_KEY = "bctrl-tools:cancels:window"  # a sorted set: when each cancel in the window went
CLAIM_PREFIX = "bctrl-tools:used:"
# Redis is local to the fleet: past this, a cancel is refused rather than left waiting.
TIMEOUT_SECONDS = 2.0

# KEYS[1] counter; ARGV[1] limit. Returns {granted, ms until budget returns or -1}.
_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {0, -1} end
redis.call('INCR', KEYS[1])
return {1, 0}
"""

# KEYS[1] sorted set of grants (score: ms); ARGV[1] limit, ARGV[2] window ms, ARGV[3] a
# unique member. A sliding window: the oldest grant leaving it is when budget returns.
_TAKE_IN_WINDOW = """
if redis.replicate_commands then redis.replicate_commands() end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] == nil then return {0, -1} end
return {0, tonumber(oldest[2]) + window - now}
"""


class RedisStore:
    """One Redis database: a sync client, and an asyncio client per event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = f"{redacted_url(url)} (BCTRL_STATE_URL)"
        self._sync: redis.Redis | None = None
        self._async: redis.asyncio.Redis | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisStore({redacted_url(self.url)!r})"

    def _options(self) -> dict[str, Any]:
        return {
            "socket_connect_timeout": TIMEOUT_SECONDS,
            "socket_timeout": TIMEOUT_SECONDS,
            # One immediate retry reconnects after a Redis restart; more would only
            # keep a refused cancel waiting while Redis is down.
            "retry": Retry(NoBackoff(), 1),
        }

    @property
    def sync(self) -> redis.Redis:
        with self._lock:  # cancel_many's worker threads all get here at once
            if self._sync is None:
                self._sync = redis.Redis.from_url(self.url, **self._options())
            return self._sync

    @property
    def aio(self) -> redis.asyncio.Redis:
        # Like an httpx pool, an asyncio connection belongs to the loop that opened it.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async_loop is not loop:
            options = self._options() | {"retry": AsyncRetry(NoBackoff(), 1)}
            self._async = redis.asyncio.Redis.from_url(self.url, **options)
            self._async_loop = loop
        return self._async

    def run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return self.sync.register_script(script)(keys=keys, args=args)
        except redis.RedisError as error:
            raise self.unavailable(error) from None

    async def arun(self, script: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.aio.register_script(script)(keys=keys, args=args)
        except redis.RedisError as error:
            raise self.unavailable(error) from None

    async def aclaim(self, token: str, ttl: float) -> bool:
        """Mark ``token`` used; False if it already was (within ``ttl`` seconds)."""
        # Only a digest is stored: whoever reads Redis learns nothing they could replay.
        key = CLAIM_PREFIX + hashlib.sha256(token.encode()).hexdigest()
        try:
            first = await self.aio.set(key, b"1", nx=True, px=math.ceil(ttl * 1000))
        except redis.RedisError as error:
            raise self.unavailable(error) from None
        return bool(first)

    def unavailable(self, error: redis.RedisError) -> StoreUnavailable:
        # redis-py's messages name host and port, never the password; strip it anyway.
        detail = f"{type(error).__name__}: {error}"
        password = urlsplit(self.url).password
        if password:
            detail = detail.replace(password, "***")
        return StoreUnavailable(
            f"The shared guardrail store {self.where} did not answer ({detail})."
        )

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        self.close()
        if self._async is not None and self._async_loop is asyncio.get_running_loop():
            await self._async.aclose()
        self._async = None
        self._async_loop = None


class RedisBudget:
    """``limit`` cancels (per ``window`` seconds) for every process using one Redis."""

    def __init__(self, url: str, limit: int, window: float | None = None) -> None:
        self.limit: int | None = limit
        self.window = window
        self.store = RedisStore(url)
        self.where = self.store.where
        self.spent = 0  # by this process; the fleet's count is in Redis

    def take(self) -> Verdict:
        return self._count(_verdict(self.store.run(*self._script())))

    async def atake(self) -> Verdict:
        return self._count(_verdict(await self.store.arun(*self._script())))

    def _count(self, verdict: Verdict) -> Verdict:
        self.spent += verdict.granted
        return verdict

    def _script(self) -> tuple[str, list[str], list[Any]]:
        if self.window is None:
            return _TAKE, [BUDGET_KEY], [self.limit]
        window_ms = max(1, round(self.window * 1000))
        return _TAKE_IN_WINDOW, [WINDOW_KEY], [self.limit, window_ms, uuid.uuid4().hex]

    def close(self) -> None:
        self.store.close()

    async def aclose(self) -> None:
        await self.store.aclose()


def _verdict(reply: Any) -> Verdict:
    granted, returns_ms = (int(part) for part in reply)
    if granted:
        return Verdict(granted=True)
    return Verdict(granted=False, returns_in=None if returns_ms < 0 else returns_ms / 1000)
