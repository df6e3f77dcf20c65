"""The transport's two bounds against the hostile server: one deadline, one size cap.

Each request gets one deadline for connect, send, headers and body; each body is
counted after decompression and given up past the cap, so neither a trickling server
nor a bomb can hold a client or fill its memory.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bctrl_tools._transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    asend,
    http_transport,
    send,
    too_large,
)
from tests.reliability.hostile_server import HostileServer, behaviour_id

DEADLINE = 1.5
AUTH = httpx.BasicAuth("", "")
CAP = DEFAULT_MAX_RESPONSE_BYTES


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[HostileServer]:
    with HostileServer(tmp_path) as server:
        yield server


def request(
    client: httpx.Client | httpx.AsyncClient, server: HostileServer, name: str
) -> httpx.Request:
    # A per-read timeout far above the deadline: only the deadline can end the wait.
    url = f"{server.base_url}/v1/invocations/{behaviour_id(name)}"
    return client.build_request("GET", url, timeout=httpx.Timeout(30.0))


@pytest.mark.parametrize("name", ["trickle_headers", "trickle_body"])
def test_a_trickling_server_is_cut_off_at_the_deadline(hostile: HostileServer, name: str) -> None:
    with httpx.Client(transport=http_transport()) as client:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            send(client, request(client, hostile, name), auth=AUTH, seconds=DEADLINE, max_bytes=CAP)
        elapsed = time.monotonic() - started
    assert DEADLINE - 0.1 < elapsed < DEADLINE + 0.5


@pytest.mark.parametrize("name", ["trickle_headers", "trickle_body"])
async def test_async_a_trickling_server_is_cut_off_at_the_deadline(
    hostile: HostileServer, name: str
) -> None:
    async with httpx.AsyncClient() as client:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            await asend(
                client, request(client, hostile, name), auth=AUTH, seconds=DEADLINE, max_bytes=CAP
            )
        elapsed = time.monotonic() - started
    assert DEADLINE - 0.1 < elapsed < DEADLINE + 0.5


@pytest.mark.parametrize("name", ["gzip_bomb", "huge_length", "endless"])
def test_a_huge_body_stops_at_the_cap_and_memory_stays_bounded(
    hostile: HostileServer, name: str
) -> None:
    with httpx.Client(transport=http_transport()) as client:
        req = request(client, hostile, name)
        tracemalloc.start()
        try:
            response = send(client, req, auth=AUTH, seconds=30, max_bytes=CAP)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert too_large(response) == CAP
    assert len(response.content) <= 1024  # only the start is kept, for the error's snippet
    assert peak < 3 * CAP, f"peak {peak / 2**20:.1f} MiB"


async def test_async_a_gzip_bomb_stops_at_the_cap(hostile: HostileServer) -> None:
    async with httpx.AsyncClient() as client:
        req = request(client, hostile, "gzip_bomb")
        tracemalloc.start()
        try:
            response = await asend(client, req, auth=AUTH, seconds=30, max_bytes=CAP)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert too_large(response) == CAP
    assert peak < 3 * CAP, f"peak {peak / 2**20:.1f} MiB"


def test_a_declared_length_over_the_cap_is_refused_before_reading(hostile: HostileServer) -> None:
    with httpx.Client(transport=http_transport()) as client:
        response = send(client, request(client, hostile, "ok"), auth=AUTH, seconds=5, max_bytes=100)
    assert too_large(response) == 100
    assert response.content == b""  # not a byte of the body was read


def test_a_body_within_the_cap_is_returned_whole(hostile: HostileServer) -> None:
    with httpx.Client(transport=http_transport()) as client:
        response = send(client, request(client, hostile, "ok"), auth=AUTH, seconds=5, max_bytes=CAP)
    assert too_large(response) is None
    assert response.json()["id"] == behaviour_id("ok")
    assert hostile.requests()[0]["behaviour"] == "ok"
