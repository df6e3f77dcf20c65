"""A newcomer's first steps past `make demo`: the commands, their help, the sandbox how-to."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bctrl_tools import __version__
from bctrl_tools.sandbox.cli import parse_config
from bctrl_tools.sandbox.config import DEFAULT_API_KEY, DEFAULT_PORT
from bctrl_tools.sandbox.process import SandboxProcess

ROOT = Path(__file__).parents[2]
SCRIPTS = ("bctrl-tools", "bctrl-mcp", "bctrl-sandbox")

# Runs a console script as pip's wrapper does (through its entry point), with some
# modules made unimportable, as if their extra were not installed.
WITHOUT = """
import sys
from importlib.metadata import entry_points

for name in sys.argv[2].split(","):
    sys.modules[name] = None  # "import name" now raises ModuleNotFoundError
[script] = entry_points(group="console_scripts", name=sys.argv[1])
sys.argv = sys.argv[1:2] + sys.argv[3:]
sys.exit(script.load()())
"""


def without(modules: str, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
    environ["BCTRL_API_KEY"] = "any-key"
    return subprocess.run(
        [sys.executable, "-c", WITHOUT, script, modules, *args],
        capture_output=True, text=True, timeout=60, env=environ, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("script", "modules", "extra"),
    [
        ("bctrl-mcp", "mcp", "mcp"),
        ("bctrl-mcp", "mcp.server", "mcp"),
        ("bctrl-sandbox", "starlette", "sandbox"),
        ("bctrl-sandbox", "uvicorn", "sandbox"),
    ],
)
def test_a_script_without_its_extra_names_it(script: str, modules: str, extra: str) -> None:
    done = without(modules, script, "--port", "0")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f'{script} needs the {extra} extra: pip install "bctrl-tools[{extra}]"')
    assert f"(missing module: {modules}" in line


@pytest.mark.parametrize("script", ["bctrl-mcp", "bctrl-sandbox"])
def test_help_needs_no_extra(script: str) -> None:
    done = without("mcp,starlette,uvicorn", script, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script}")


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_a_version(script: str) -> None:
    done = subprocess.run(
        [Path(sys.executable).parent / script, "--version"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"{script} {__version__}\n")


def test_the_wait_help_says_one_deadline_for_the_whole_batch() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bctrl_tools.cli", "cancel", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "COLUMNS": "200"},  # the whole help text on one line
    )  # fmt: skip
    [wait] = [line for line in done.stdout.splitlines() if line.strip().startswith("--wait")]
    assert "one deadline for the whole batch, not one per id" in wait


def test_every_sandbox_option_has_help_and_its_default() -> None:
    done = without("", "bctrl-sandbox", "--help")
    options = done.stdout.split("options:\n", 1)[1]
    # One entry per option: its line, then the help's continuation lines.
    entries = re.split(r"\n(?=  -)", options.strip("\n"))
    assert len(entries) >= 12
    for entry in entries:
        if entry.lstrip().startswith(("-h,", "--version")):
            continue
        flag = entry.split()[0]
        assert len(entry.split()) > 2, f"{flag} has no help"
        assert re.search(r"default: \S", entry), f"{flag} shows no default:\n{entry}"


def test_the_sandbox_refuses_an_open_default() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bctrl_tools.sandbox", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert "default API key" in done.stderr
    assert "give --api-key KEY" in done.stderr
    # A key of one's own, or loopback, is fine.
    assert parse_config(["--host", "0.0.0.0", "--api-key", "k3y"]).api_key == "k3y"
    assert parse_config(["--host", "::1"]).api_key == DEFAULT_API_KEY
    assert parse_config(["--host", "localhost"]).api_key == DEFAULT_API_KEY


def test_the_sandbox_banner_says_how_to_point_the_tools_at_it() -> None:
    with SandboxProcess(seed=1) as sandbox:  # the default key, as bctrl-sandbox starts
        deadline = time.monotonic() + 10
        while "BCTRL_API_KEY=" not in sandbox.stderr_text():
            assert time.monotonic() < deadline, f"no export lines:\n{sandbox.stderr_text()}"
            time.sleep(0.05)
        exports = dict(
            line.split()[1].split("=", 1)
            for line in sandbox.stderr_text().splitlines()
            if line.strip().startswith("export ")
        )
        assert exports == {"BCTRL_BASE_URL": sandbox.base_url, "BCTRL_API_KEY": DEFAULT_API_KEY}
        # Copied as printed, they point the CLI at this sandbox.
        environ = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
        [seeded] = sandbox.seeded_ids
        done = subprocess.run(
            [sys.executable, "-m", "bctrl_tools.cli", "get", seeded],
            capture_output=True, text=True, timeout=60, check=False, env=environ | exports,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{seeded}\t")


def test_make_demo_ends_with_commands_that_exist() -> None:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "next-steps"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    commands = set(re.findall(r"\.venv/bin/([\w-]+)", done.stdout)) - {"activate"}
    assert commands == set(SCRIPTS)
    for name in commands:
        assert (Path(sys.executable).parent / name).exists(), name
    [export] = [line for line in done.stdout.splitlines() if "export " in line]
    variables = dict(word.split("=", 1) for word in shlex.split(export)[1:])
    assert variables == {
        "BCTRL_BASE_URL": f"http://127.0.0.1:{DEFAULT_PORT}",
        "BCTRL_API_KEY": DEFAULT_API_KEY,
    }


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_every_example_answers_help_instead_of_running(example: Path) -> None:
    done = subprocess.run(
        [sys.executable, example, "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {example.name}")
    assert "Sandbox running" not in done.stdout  # what each prints once it has started one
    assert done.stderr == ""
