"""Fixtures for the shared-guardrail tests: a real redis-server, started and stopped here.

Where redis-server is not installed these tests are skipped, and the run ends with a
line saying so: a green run must not hide that the Redis path went untested.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.fleet.redis_server import MISSING, RedisServer, redis_server_path


@pytest.fixture(scope="session")
def redis_session() -> Iterator[RedisServer]:
    """One redis-server for the session; tests that kill Redis start their own."""
    if redis_server_path() is None:
        pytest.skip(MISSING)
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_session: RedisServer) -> str:
    """The session server's URL, emptied before each test."""
    with redis.Redis.from_url(redis_session.url) as client:
        client.flushall()
    return redis_session.url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, free to kill."""
    if redis_server_path() is None:
        pytest.skip(MISSING)
    with RedisServer() as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if MISSING in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} Redis tests SKIPPED", red=True)
        terminalreporter.write_line(MISSING, red=True)
