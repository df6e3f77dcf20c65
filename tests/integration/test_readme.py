"""Every code block of the README runs, so the README cannot rot.

The convention, for whoever adds a block to README.md:

- A block fenced ```` ```python ```` is a complete program, as a reader would paste it
  into a file: no top-level ``await`` (use ``asyncio.run``), nothing from another block.
  It is run in a fresh interpreter against a fresh sandbox, with ``BCTRL_BASE_URL`` and
  ``BCTRL_API_KEY`` pointing at it, in an empty directory, and must exit 0 within a
  minute.
- Every distinct UUID in such a block stands for a running invocation: each is replaced
  by the id of a fresh sandbox invocation before the block runs.
- A ``print(...)  # TEXT`` line promises its output: TEXT must appear in what it printed.
- A block that needs what no test can provide (a real model, a real key) is fenced
  ```` ```python no-run ````: it is still compiled, so it is at least valid Python.
- Anything else is not Python and is not run: ```` ```console ```` for shell commands
  and their output, ```` ```text ````, ...; ```` ```json ```` blocks must parse. Every block
  names its language, and Python is spelled only as above.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bctrl_tools.sandbox.process import SandboxProcess

README = Path(__file__).parents[2] / "README.md"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
PROMISE = re.compile(r"^\s*print\(.*\)\s+# (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    info: str
    code: str
    line: int

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.info or 'no language'})"


def blocks() -> list[Block]:
    text = README.read_text()
    return [
        Block(match[1].strip(), match[2], text.count("\n", 0, match.start()) + 1)
        for match in FENCE.finditer(text)
    ]


def of(kind: str) -> list[Block]:
    return [block for block in blocks() if block.info == kind]


def wait_until_all_running(sandbox: SandboxProcess, ids: list[str]) -> None:
    deadline = time.monotonic() + 10
    with sandbox.http_client() as http:
        for invocation_id in ids:
            while http.get(f"/v1/invocations/{invocation_id}").json()["status"] != "running":
                assert time.monotonic() < deadline, f"{invocation_id} never started running"
                time.sleep(0.05)


def test_every_block_says_what_it_is() -> None:
    for block in blocks():
        assert block.language, f"{block}: name its language (console, text, python, ...)"
        if block.language.lower() in {"py", "python", "python3", "pycon", "ipython"}:
            # Python under any other spelling would silently escape the run below.
            assert block.info in {"python", "python no-run"}, f"{block}: python or python no-run"


@pytest.mark.parametrize("block", of("python") + of("python no-run"), ids=str)
def test_every_python_block_is_a_valid_program(block: Block) -> None:
    compile(block.code, str(block), "exec")  # no top-level await, no mixed fragments


@pytest.mark.parametrize("block", of("json"), ids=str)
def test_every_json_block_parses(block: Block) -> None:
    json.loads(block.code)


@pytest.mark.parametrize("block", of("python"), ids=str)
def test_every_python_block_runs_against_a_sandbox(block: Block, tmp_path: Path) -> None:
    with SandboxProcess(cancel_grace_ms=300) as sandbox:
        code = block.code
        for example_id in dict.fromkeys(UUID.findall(code)):
            code = code.replace(example_id, sandbox.create_invocation(run_seconds=120)["id"])
        wait_until_all_running(sandbox, UUID.findall(code))
        environ = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
        environ.update(BCTRL_BASE_URL=sandbox.base_url, BCTRL_API_KEY=sandbox.api_key)
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, f"{block} failed:\n{done.stderr[-3000:]}"
    for promised in PROMISE.findall(block.code):
        assert promised.strip() in done.stdout, f"{block} promised {promised!r}:\n{done.stdout}"
