"""A minimal keep-alive HTTP/1.1 server that answers every request with one canned record.

It stands in for bctrl with (almost) no server-side cost, so that what a benchmark
measures against it is the client's own cost. It runs in its own process (the client
under test keeps the other core) and is started with :class:`CannedProcess`::

    with CannedProcess(delay_ms=20) as canned:
        httpx.post(canned.base_url + "/v1/invocations/x/cancel", json={})

Run directly (``python -m benchmarks.canned --delay-ms 20``) it prints
``listening on http://127.0.0.1:PORT`` and serves until killed.

The record is ``canned_record.json``: a real sandbox answer to a cancel, sent compact,
byte for byte as the sandbox serialises it. Ids in the URL are ignored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType

RECORD_PATH = Path(__file__).with_name("canned_record.json")
_READY_PREFIX = "listening on "


def canned_body() -> bytes:
    record = json.loads(RECORD_PATH.read_text())
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()


def canned_response(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "x-request-id: req_canned\r\n"
        "\r\n"
    )
    return head.encode() + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection: parse just enough HTTP/1.1 to frame requests."""

    def __init__(self, response: bytes, delay: float) -> None:
        self._response = response
        self._delay = delay
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end]).lower()
            total = end + 4 + _content_length(head)
            if len(self._buffer) < total:
                return  # the body is still arriving
            del self._buffer[:total]
            close = b"\r\nconnection: close" in head
            if self._delay > 0:
                # Neither httpx nor requests pipelines, so one timer per connection at a time.
                asyncio.get_running_loop().call_later(self._delay, self._reply, close)
            else:
                self._reply(close)

    def _reply(self, close: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(self._response)  # one write: Nagle never splits the answer
        if close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return int(value.strip())
    return 0


async def serve(host: str, port: int, delay_ms: float) -> None:
    response = canned_response(canned_body())
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(response, delay_ms / 1000), host, port, backlog=1024
    )
    bound = server.sockets[0].getsockname()
    print(f"{_READY_PREFIX}http://{bound[0]}:{bound[1]}", flush=True)
    async with server:
        await server.serve_forever()


class CannedProcess:
    """The canned server in a child process: ``with CannedProcess(delay_ms=0) as c: ...``."""

    def __init__(self, *, delay_ms: float = 0.0, host: str = "127.0.0.1") -> None:
        self.delay_ms = delay_ms
        self.host = host
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return self._proc.pid

    def start(self) -> CannedProcess:
        command = [sys.executable, "-m", "benchmarks.canned", "--delay-ms", str(self.delay_ms)]
        self._proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith(_READY_PREFIX):
            self.stop()
            raise RuntimeError(f"canned server did not start: {line!r}")
        self.base_url = line[len(_READY_PREFIX) :].strip()
        return self

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc = None

    def __enter__(self) -> CannedProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.canned", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="wait before each answer")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.delay_ms))


if __name__ == "__main__":
    main()
