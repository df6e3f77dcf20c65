"""Sending one request under two bounds: one deadline for all of it, a cap on the body.

httpx's timeouts bound each socket operation, not the request: a server that sends a
byte a second never trips them. And httpx reads, and decompresses, a whole body into
memory whatever its size. Here each request gets one deadline for connect, send,
headers and body, and its body is streamed, decompressed with a bounded output, and
given up once it passes the cap.

The answer is an ``httpx.Response`` whose body is read. A body over the cap comes back
cut to its first bytes and marked (:func:`too_large`), so the protocol can say so.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DeadlineExceeded",
    "asend",
    "http_transport",
    "send",
    "too_large",
]

DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
# Encodings we can decompress with a bounded output; the only ones we ask for.
ACCEPT_ENCODING = "gzip, deflate"
_TOO_LARGE = "bctrl_too_large"
_KEPT_BYTES = 1024  # of a refused body: enough for the error's snippet
_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})

# The deadline (time.monotonic()) of the request this thread or task is sending.
_deadline: ContextVar[float | None] = ContextVar("bctrl_deadline", default=None)


class DeadlineExceeded(httpx.TimeoutException):
    """The request's one overall deadline passed (connect, send, headers and body)."""


def too_large(response: httpx.Response) -> int | None:
    """The cap a response's body went over, or None if it was read whole."""
    limit = response.extensions.get(_TOO_LARGE)
    return limit if isinstance(limit, int) else None


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    auth: httpx.Auth,
    seconds: float,
    max_bytes: int,
) -> httpx.Response:
    """Send ``request``, read its body, all within ``seconds``; raises httpx errors."""
    deadline = time.monotonic() + seconds
    token = _deadline.set(deadline)
    try:
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        response = client.send(request, auth=auth, stream=True)
        try:
            body = _Body(response, max_bytes)
            if not body.refused:
                for raw in response.iter_raw():
                    # Our transport bounds each read already; a lent client's may not.
                    _check(deadline, request)
                    if not body.add(raw):
                        break
            return body.response()
        finally:
            response.close()
    finally:
        _deadline.reset(token)


async def asend(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    auth: httpx.Auth,
    seconds: float,
    max_bytes: int,
) -> httpx.Response:
    """The async :func:`send`: the whole exchange is cancelled at the deadline."""
    import asyncio  # only async callers pay for importing it

    request.headers["Accept-Encoding"] = ACCEPT_ENCODING

    async def exchange() -> httpx.Response:
        response = await client.send(request, auth=auth, stream=True)
        try:
            body = _Body(response, max_bytes)
            if not body.refused:
                async for raw in response.aiter_raw():
                    if not body.add(raw):
                        break
            return body.response()
        finally:
            await response.aclose()

    try:
        return await asyncio.wait_for(exchange(), seconds)
    except asyncio.TimeoutError:
        raise _exceeded(seconds, request) from None


def _check(deadline: float, request: httpx.Request) -> None:
    if time.monotonic() >= deadline:
        raise _exceeded(None, request)


def _exceeded(seconds: float | None, request: httpx.Request) -> DeadlineExceeded:
    after = f" of {seconds:g} s" if seconds is not None else ""
    return DeadlineExceeded(f"the request's deadline{after} passed", request=request)


class _Body:
    """A response body, decoded and counted as it streams in, refused past ``limit``."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self._source = response
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._decode = _decoder(response.headers.get("content-encoding", ""))
        declared = response.headers.get("content-length", "")
        # A declared size over the cap is refused before a byte of the body is read.
        self.refused = declared.isdigit() and int(declared) > limit

    def add(self, raw: bytes) -> bool:
        """Take the next raw chunk; False once the decoded body went over the limit."""
        for piece in self._decode(raw, self._limit - self._size + 1):
            self._size += len(piece)
            self._parts.append(piece)
            if self._size > self._limit:
                self.refused = True
                return False
        return True

    def response(self) -> httpx.Response:
        extensions: dict[str, Any] = dict(self._source.extensions)
        if self.refused:
            content = _first_bytes(self._parts, _KEPT_BYTES)
            extensions[_TOO_LARGE] = self._limit
        else:
            content = b"".join(self._parts)
        # The body is decoded now: headers that describe its framing no longer apply.
        headers = [(k, v) for k, v in self._source.headers.multi_items() if k not in _FRAMING]
        return httpx.Response(
            self._source.status_code,
            headers=headers,
            content=content,
            request=self._source.request,
            extensions=extensions,
        )


def _first_bytes(parts: list[bytes], count: int) -> bytes:
    kept: list[bytes] = []
    for part in parts:
        kept.append(part[:count])
        count -= len(kept[-1])
        if count <= 0:
            break
    return b"".join(kept)


Decode = Callable[[bytes, int], list[bytes]]


def _decoder(content_encoding: str) -> Decode:
    """Decompression whose every output is at most ``room`` bytes: a bomb cannot explode.

    We ask only for gzip and deflate. A body in an encoding we did not ask for is kept
    as it is (as httpx does with one it cannot decode), and fails to parse as JSON.
    """
    encoding = content_encoding.strip().lower()
    if encoding == "gzip":
        return _Inflater(16 + zlib.MAX_WBITS).decode
    if encoding == "deflate":
        return _Inflater(zlib.MAX_WBITS, raw_fallback=True).decode
    return lambda raw, room: [raw]


class _Inflater:
    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._inflate = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback  # "deflate" is sent with or without zlib's header
        self._started = False

    def decode(self, raw: bytes, room: int) -> list[bytes]:
        try:
            return self._decode(raw, room)
        except zlib.error as exc:
            if self._raw_fallback and not self._started:
                self._raw_fallback = False
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(raw, room)
            raise httpx.DecodingError(f"could not decompress the body: {exc}") from None

    def _decode(self, raw: bytes, room: int) -> list[bytes]:
        pieces: list[bytes] = []
        pending = raw
        while pending and room > 0:
            piece = self._inflate.decompress(pending, room)
            self._started = True
            pieces.append(piece)
            room -= len(piece)
            pending = self._inflate.unconsumed_tail
        return pieces


# --- the sync deadline: every socket operation bounded by the time left ---------------


def http_transport() -> httpx.HTTPTransport:
    """An ``HTTPTransport`` whose sockets never wait past the current request's deadline.

    A sync read cannot be cancelled from outside, so each connect, read and write is
    given at most the time left, and fails once none is. A request with no deadline set
    (not sent through :func:`send`) waits as httpx would.
    """
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    # httpx offers no argument for the network backend; its pool keeps it here.
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = _DeadlineBackend()
    return transport


def _left(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._backend.connect_tcp(host, port, left, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
