"""A hostile bctrl: one small process that misbehaves as the invocation id asks.

Each behaviour has its own invocation id (``behaviour_id("gzip_bomb")``); the server
reads the id from the request path and answers as that behaviour says: trickling
bytes, lying about sizes, bombing with gzip, nesting JSON, echoing the key. Every
request it receives is logged as one JSON line, so a test can say what was sent.

Run it with ``python -m tests.reliability.hostile_server LOG``: it prints its port,
then serves on 127.0.0.1 until killed. :class:`HostileServer` does that for tests.
"""

from __future__ import annotations

import asyncio
import functools
import json
import subprocess
import sys
import uuid
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).parents[2]
RECORD = json.loads((ROOT / "tests" / "data" / "records" / "cancelling.json").read_text())
_NAMESPACE = uuid.UUID("5b6c1d2e-0f4a-4b8c-9d7e-1a2b3c4d5e6f")
TRICKLE_SECONDS = 0.5
TRICKLE_LIMIT = 12.0
BOMB_BYTES = 64 * 1024 * 1024  # decompressed; ~64 KiB on the wire
HUGE_LENGTH = 1024**3
ENDLESS_CAP = 256 * 1024 * 1024  # "endless", but never more than this, whatever happens
NESTING = 100_000
STRADDLE_OFFSETS = range(400)


def behaviour_id(name: str) -> str:
    """The invocation id that makes the server behave as ``name``."""
    return str(uuid.uuid5(_NAMESPACE, name))


Writer = asyncio.StreamWriter
Behaviour = Callable[[Writer, str, str], Awaitable[None]]


async def _send(writer: Writer, status: str, headers: dict[str, str], body: bytes) -> None:
    # One request a connection: a client must not reuse a socket this server closes.
    headers = {**headers, "Connection": "close"}
    head = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    writer.write("\r\n".join(head).encode("latin-1") + body)
    await writer.drain()


async def ok(writer: Writer, invocation_id: str, key: str) -> None:
    body = json.dumps({**RECORD, "id": invocation_id}).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    await _send(writer, "200 OK", headers, body)


async def trickle_headers(writer: Writer, invocation_id: str, key: str) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nX-Slow: ")
    await _trickle(writer)  # the headers never end


async def trickle_body(writer: Writer, invocation_id: str, key: str) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": "100000"}
    await _send(writer, "200 OK", headers, b"{")
    await _trickle(writer)


async def _trickle(writer: Writer) -> None:
    # One byte every TRICKLE_SECONDS, each well within any read timeout. It stops (and
    # hangs up) after TRICKLE_LIMIT, only so that a test of an unbounded client ends.
    for _ in range(int(TRICKLE_LIMIT / TRICKLE_SECONDS)):
        await asyncio.sleep(TRICKLE_SECONDS)
        writer.write(b" ")
        await writer.drain()


async def gzip_bomb(writer: Writer, invocation_id: str, key: str) -> None:
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    body = _bomb()
    await _send(writer, "200 OK", {**headers, "Content-Length": str(len(body))}, body)


@functools.cache
def _bomb() -> bytes:
    # Made once, then sent whole: the client reads it in large compressed chunks.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    return b"".join([*parts, packer.flush()])


async def huge_length(writer: Writer, invocation_id: str, key: str) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(HUGE_LENGTH)}
    await _send(writer, "200 OK", headers, b"")
    await _stream_zeros(writer, HUGE_LENGTH, chunked=False)


async def endless(writer: Writer, invocation_id: str, key: str) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    await _send(writer, "200 OK", headers, b"")
    await _stream_zeros(writer, ENDLESS_CAP, chunked=True)


async def _stream_zeros(writer: Writer, total: int, *, chunked: bool) -> None:
    chunk = b" " * 65536
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
    for _ in range(total // len(chunk)):
        writer.write(framed)
        await writer.drain()


async def nested_ok(writer: Writer, invocation_id: str, key: str) -> None:
    body = b"[" * NESTING
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    await _send(writer, "200 OK", headers, body)


async def nested_error(writer: Writer, invocation_id: str, key: str) -> None:
    body = b'{"error": ' + b"[" * NESTING
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    await _send(writer, "502 Bad Gateway", headers, body)


async def echo_key(writer: Writer, invocation_id: str, key: str) -> None:
    """A proxy that echoes the Authorization header everywhere it can."""
    body = json.dumps({"error": {"message": f"upstream refused {key}", "code": key}}).encode()
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "X-Request-Id": key,
        "Location": f"https://elsewhere.test/?auth={key}",
    }
    await _send(writer, f"502 Bad {key}", headers, body)


def _straddle(offset: int) -> Behaviour:
    async def straddle(writer: Writer, invocation_id: str, key: str) -> None:
        """A 502 whose plain-text body puts the echoed header ``offset`` characters in."""
        body = ("x" * offset + key).encode()
        headers = {"Content-Type": "text/plain", "Content-Length": str(len(body))}
        await _send(writer, "502 Bad Gateway", headers, body)

    return straddle


BEHAVIOURS: dict[str, Behaviour] = {
    "ok": ok,
    "trickle_headers": trickle_headers,
    "trickle_body": trickle_body,
    "gzip_bomb": gzip_bomb,
    "huge_length": huge_length,
    "endless": endless,
    "nested_ok": nested_ok,
    "nested_error": nested_error,
    "echo_key": echo_key,
    **{f"straddle_{n}": _straddle(n) for n in STRADDLE_OFFSETS},
}
_BY_ID = {behaviour_id(name): name for name in BEHAVIOURS}


async def _handle(reader: asyncio.StreamReader, writer: Writer, log: Path) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines)}
        await reader.readexactly(int(headers.get("content-length", "0")))
        segment = target.split("?")[0].split("/")
        invocation_id = segment[3] if len(segment) > 3 else ""
        name = _BY_ID.get(invocation_id.lower(), "ok")
        with log.open("a") as file:
            entry = {"method": method, "path": target, "behaviour": name}
            file.write(json.dumps({**entry, "authorized": "authorization" in headers}) + "\n")
        await BEHAVIOURS[name](writer, invocation_id, headers.get("authorization", ""))
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass  # the client hung up: that is what a bounded client does
    finally:
        writer.close()


async def _serve(log: Path) -> None:
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, log), "127.0.0.1", 0, limit=1024 * 1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


class HostileServer:
    """The hostile server in a subprocess, for one test: ``with HostileServer(tmp) as s``."""

    def __init__(self, directory: Path) -> None:
        self.log = directory / "hostile-requests.jsonl"
        self.log.touch()
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> HostileServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.hostile_server", str(self.log)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        port = self._process.stdout.readline().strip()
        assert port.isdigit(), "the hostile server did not start"
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def requests(self) -> list[dict[str, Any]]:
        """Every request received so far, oldest first."""
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            assert self._process.stdout is not None
            self._process.stdout.close()


if __name__ == "__main__":
    asyncio.run(_serve(Path(sys.argv[1])))
