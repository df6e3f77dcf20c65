"""Wake-ups for `/wait` requests, so they sleep until something can change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class Waiters:
    """Per-invocation events that a cancel (or shutdown) sets to wake waiting requests."""

    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, invocation_id: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._events.setdefault(invocation_id, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._events[invocation_id]
            watchers.discard(event)
            if not watchers:
                del self._events[invocation_id]

    def wake(self, invocation_id: str) -> None:
        for event in self._events.get(invocation_id, ()):
            event.set()

    def wake_all(self) -> None:
        for watchers in self._events.values():
            for event in watchers:
                event.set()


async def sleep_or_wake(event: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, returning early if `event` is set."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=max(0.0, seconds))
