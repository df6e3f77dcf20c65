"""Slow and idle peers cannot starve the HTTP server: a header deadline, a connection cap.

uvicorn times out an idle keep-alive connection, but not one that is still sending its
request headers, so a peer that sends a byte now and then (or nothing after connecting)
holds a connection, and a descriptor, for as long as it likes; a few hundred of them
and nobody else gets in. :meth:`PeerLimits.protocol` is uvicorn's h11 protocol with
two more rules (:class:`PeerLimits`):

- a connection that has not sent complete request headers within ``header_timeout``
  seconds (of connecting, or of its previous response) is closed;
- at most ``max_connections`` are open at once. A newcomer over the cap first pushes
  out the oldest connection still waiting for headers, which is doing no work; only if
  there is none is the newcomer itself closed. So a crowd of slow peers cannot keep
  out a client that sends its request at once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DEFAULT_HEADER_TIMEOUT", "PeerLimits"]

DEFAULT_HEADER_TIMEOUT = 10.0
_MAX_CONNECTIONS = 1000


@dataclass(frozen=True)
class PeerLimits:
    """How long a peer may take to send its headers, and how many peers at once."""

    max_connections: int
    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    @classmethod
    def for_this_process(cls) -> PeerLimits:
        """1000 connections, or half the descriptors this process may open if fewer.

        The other half is for everything else (the pool of connections to bctrl, up to
        100, and logs), and for the connections asyncio accepts in one burst before any
        can push an older one out. Should a burst still run out of descriptors, asyncio
        pauses accepting for a second, and the pushed-out peers make room meanwhile.
        """
        try:
            import resource
        except ImportError:  # not on POSIX: no descriptor limit to read
            return cls(_MAX_CONNECTIONS)
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return cls(_MAX_CONNECTIONS)
        return cls(max(16, min(_MAX_CONNECTIONS, soft // 2)))

    def protocol(self) -> type[H11Protocol]:
        """uvicorn's h11 protocol enforcing these limits, for ``uvicorn.Config(http=...)``."""
        return type(
            "GuardedH11Protocol",
            (_GuardedH11Protocol,),
            {"header_timeout": self.header_timeout, "max_connections": self.max_connections},
        )


class _GuardedH11Protocol(H11Protocol):
    header_timeout = DEFAULT_HEADER_TIMEOUT
    max_connections = _MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_since: float | None = None  # monotonic; None once headers arrived
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._waiting_since = None  # a whole request head arrived
            self._stop_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_headers()  # the next request on this connection gets its own deadline

    def _await_headers(self) -> None:
        self._stop_header_timer()
        self._waiting_since = time.monotonic()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._waiting_since is not None and not self.transport.is_closing():
            self.transport.close()

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _make_room(self) -> None:
        waiting = [
            peer
            for peer in self.connections
            if isinstance(peer, _GuardedH11Protocol)
            and peer is not self
            and peer._waiting_since is not None
            and not peer.transport.is_closing()
        ]
        if waiting:
            oldest = min(waiting, key=lambda peer: peer._waiting_since or 0.0)
            oldest.transport.close()
        else:
            self.transport.close()
