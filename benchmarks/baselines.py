"""The hand-written ways to cancel that our code is measured against."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import requests

from benchmarks.servers import Target


def cycling(ids: list[str]) -> Callable[[], str]:
    """The next id on every call, round and round: each case gets its own cycle."""
    ring: Iterator[str] = itertools.cycle(ids)
    return lambda: next(ring)


def raw_cancel(http: httpx.Client, target: Target, invocation_id: str) -> Any:
    """A pooled httpx POST and ``.json()``: the least a client can do."""
    return http.post(target.cancel_url(invocation_id), json={}, headers=target.headers).json()


def vendor_cancel(target: Target, invocation_id: str) -> Any:
    """The vendor snippet: ``requests.post`` per call, so a new connection every time."""
    response = requests.post(
        target.cancel_url(invocation_id), json={}, headers=target.headers, timeout=30
    )
    return response.json()


async def raw_gather(
    http: httpx.AsyncClient, target: Target, ids: list[str], width: int = 16
) -> list[Any]:
    """A 16-wide ``asyncio.gather`` of pooled httpx POSTs: the least a batch can do."""
    gate = asyncio.Semaphore(width)

    async def one(invocation_id: str) -> Any:
        async with gate:
            response = await http.post(
                target.cancel_url(invocation_id), json={}, headers=target.headers
            )
            return response.json()

    return await asyncio.gather(*(one(invocation_id) for invocation_id in ids))
