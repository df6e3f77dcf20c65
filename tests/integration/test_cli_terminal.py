"""What `bctrl-tools` puts on a terminal: whole ids, no escape sequences, usable errors.

Tables are checked on a real pseudo-terminal of a given width, as a person sees them;
hostile server text comes from the sandbox (a step's call name is server text) and,
for error messages, from a tiny server that answers with escape sequences.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bctrl_tools.sandbox.process import SandboxProcess
from tests.integration.test_cli import run_cli

HOSTILE = "\x1b]0;PWNED-TITLE\x07\x1b[2J\x9b31m\u202e"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # rich's own colour codes


def run_on_terminal(sandbox: SandboxProcess, columns: int, *args: str) -> str:
    """Run the CLI with stdout on a pseudo-terminal `columns` wide; its screen text."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
    environ.pop("COLUMNS", None)
    environ.update(BCTRL_API_KEY=sandbox.api_key, BCTRL_BASE_URL=sandbox.base_url, TERM="xterm")
    with subprocess.Popen(
        [sys.executable, "-m", "bctrl_tools.cli", *args],
        stdout=terminal, stderr=subprocess.PIPE, env=environ,
    ) as process:  # fmt: skip
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(controller)
    return ANSI.sub("", b"".join(chunks).decode())


def escapes_in(text: str) -> list[str]:
    # Ours: line ends, and the tabs between fields when piped.
    return [char for char in text if not char.isprintable() and char not in "\r\n\t"]


@pytest.mark.parametrize("columns", [80, 60])
def test_a_narrow_terminal_never_cuts_an_id(sandbox: SandboxProcess, columns: int) -> None:
    ids = sandbox.create_invocations(2)
    screen = run_on_terminal(sandbox, columns, "get", *ids)
    lines = screen.splitlines()
    for invocation_id in ids:
        assert any(invocation_id in line for line in lines), screen
    assert max(len(line) for line in lines) <= columns, screen
    assert "running" in screen or "queued" in screen or "dispatching" in screen


def test_a_cancel_table_keeps_ids_whole_at_80_columns(sandbox: SandboxProcess) -> None:
    ids = [*sandbox.create_invocations(2), str(uuid.uuid4())]
    screen = run_on_terminal(sandbox, 80, "cancel", *ids)
    for invocation_id in ids:
        assert any(invocation_id in line for line in screen.splitlines()), screen
    assert "not_found" in screen


def test_too_narrow_for_any_table_prints_plain_full_lines(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    screen = run_on_terminal(sandbox, 30, "get", invocation_id)
    assert screen.splitlines()[0].startswith(f"{invocation_id}\t"), screen


def test_a_failed_get_prints_no_empty_table(sandbox: SandboxProcess) -> None:
    missing = str(uuid.uuid4())
    screen = run_on_terminal(sandbox, 100, "get", missing)
    assert screen == ""


def test_server_text_cannot_drive_the_terminal(sandbox: SandboxProcess) -> None:
    steps = [{"call": f"page.goto{HOSTILE}"}]
    invocation_id = sandbox.create_invocation(steps=steps, run_seconds=60)["id"]
    screen = run_on_terminal(sandbox, 200, "get", invocation_id)
    piped = run_cli(sandbox, "get", invocation_id)
    as_json = run_cli(sandbox, "get", invocation_id, "--json")
    for output in (screen, piped.stdout, as_json.stdout):
        assert "PWNED-TITLE" in output  # shown, as visible escapes ...
        assert escapes_in(output) == []  # ... but nothing a terminal would act on
    record = json.loads(as_json.stdout)[0]["record"]  # the record as received
    assert record["progress"]["currentCall"] == f"page.goto{HOSTILE}"


class _HostileHandler(BaseHTTPRequestHandler):
    """Every answer is an error whose message and request id carry escape sequences."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": f"server.broken{HOSTILE}",
                    "message": f"Broken{HOSTILE}",
                    "requestId": f"req_1{HOSTILE}",
                }
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hostile_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("command", [["get"], ["cancel"], ["cancel", "--json"]])
def test_server_errors_cannot_drive_the_terminal(
    sandbox: SandboxProcess, hostile_url: str, command: list[str]
) -> None:
    invocation_id = str(uuid.uuid4())
    done = run_cli(sandbox, *command, invocation_id, BCTRL_BASE_URL=hostile_url)
    assert done.returncode == 1
    assert "Broken" in done.stdout + done.stderr
    assert escapes_in(done.stdout) == []
    assert escapes_in(done.stderr) == []


def test_duplicate_ids_are_counted_once_and_never_crash(sandbox: SandboxProcess) -> None:
    ids = [str(uuid.uuid4()) for _ in range(500)]
    done = run_cli(sandbox, "cancel", *ids, ids[0], "--dry-run", "--json")
    assert "Traceback" not in done.stderr
    assert done.returncode in {1, 2}, done.stderr
    if done.returncode == 2:  # refused as a whole: one line saying the limit
        assert done.stderr.count("\n") == 1
        assert "500" in done.stderr
    else:  # accepted: one outcome per distinct id
        assert len(json.loads(done.stdout)["results"]) == 500


def test_an_unknown_flag_shows_the_subcommands_usage(sandbox: SandboxProcess) -> None:
    done = run_cli(sandbox, "cancel", str(uuid.uuid4()), "--bogus")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: bctrl-tools cancel ")
    assert "unrecognized arguments: --bogus" in done.stderr


def test_version(sandbox: SandboxProcess) -> None:
    from bctrl_tools import __version__

    done = run_cli(sandbox, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"bctrl-tools {__version__}"
