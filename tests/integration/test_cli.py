"""The bctrl-tools command line, run as a real process against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from bctrl_tools.sandbox.process import SandboxProcess

LIVE = {"queued", "dispatching", "running"}


def run_cli(sandbox: SandboxProcess, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BCTRL_")}
    environ.update(BCTRL_API_KEY=sandbox.api_key, BCTRL_BASE_URL=sandbox.base_url, COLUMNS="200")
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bctrl_tools.cli", *args],
        capture_output=True, text=True, env=environ, timeout=60, check=False,
    )  # fmt: skip


def status_of(sandbox: SandboxProcess, invocation_id: str) -> str:
    with sandbox.http_client() as http:
        return str(http.get(f"/v1/invocations/{invocation_id}").json()["status"])


def test_cancel_piped_prints_full_lines_and_exits_0(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    done = run_cli(sandbox, "cancel", invocation_id)
    assert done.returncode == 0, done.stderr
    # Piped: one tab-separated line per id on stdout, the summary on stderr.
    fields = done.stdout.rstrip("\n").split("\t")
    assert fields[:3] == [invocation_id, "cancel_requested", "cancelling"]
    assert done.stderr == "1 invocation: 1 cancel requested.\n"
    assert status_of(sandbox, invocation_id) in {"cancelling", "cancelled"}


def test_cancel_json_with_wait(sandbox: SandboxProcess) -> None:
    ids = sandbox.create_invocations(3)
    done = run_cli(sandbox, "cancel", *ids, "--wait", "5", "--json")
    assert done.returncode == 0, done.stderr
    batch: dict[str, Any] = json.loads(done.stdout)
    assert batch["counts"] == {"cancelled": 3}
    assert [r["invocation_id"] for r in batch["results"]] == ids


def test_any_id_not_stopped_exits_1(sandbox: SandboxProcess) -> None:
    live = sandbox.create_invocation()["id"]
    missing = str(uuid.uuid4())
    done = run_cli(sandbox, "cancel", live, missing, "--json")
    assert done.returncode == 1
    outcomes = {r["invocation_id"]: r["outcome"] for r in json.loads(done.stdout)["results"]}
    assert outcomes == {live: "cancel_requested", missing: "not_found"}


def test_dry_run_sends_nothing(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    done = run_cli(sandbox, "cancel", invocation_id, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry_run" in done.stdout
    assert status_of(sandbox, invocation_id) in LIVE


@pytest.mark.parametrize(
    ("args", "variables", "named"),
    [
        (["--dry-run"], {}, "--dry-run was given"),
        ([], {"BCTRL_DRY_RUN": "1"}, "BCTRL_DRY_RUN is set"),
    ],
)
def test_a_dry_run_names_the_switch_that_was_used(
    sandbox: SandboxProcess, args: list[str], variables: dict[str, str], named: str
) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    done = run_cli(sandbox, "cancel", invocation_id, *args, "--json", **variables)
    message = json.loads(done.stdout)["results"][0]["message"]
    assert message.startswith(f"Dry run ({named}): ")


def test_guardrails_from_the_environment(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    done = run_cli(sandbox, "cancel", invocation_id, "--json", BCTRL_MAX_CANCELS="0")
    assert done.returncode == 1
    assert json.loads(done.stdout)["results"][0]["outcome"] == "refused"
    assert status_of(sandbox, invocation_id) in LIVE


def test_get_shows_progress(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation()["id"]
    done = run_cli(sandbox, "get", invocation_id)
    assert done.returncode == 0, done.stderr
    assert invocation_id in done.stdout
    as_json = json.loads(run_cli(sandbox, "get", invocation_id, "--json").stdout)
    assert as_json[0]["invocation"]["id"] == invocation_id
    assert as_json[0]["record"]["id"] == invocation_id  # the CLI's JSON has the record
    assert as_json[0]["invocation"]["status"] in LIVE


def test_get_of_a_missing_id_exits_1(sandbox: SandboxProcess) -> None:
    done = run_cli(sandbox, "get", str(uuid.uuid4()))
    assert done.returncode == 1
    assert "visible to this API key" in done.stderr


@pytest.mark.parametrize("args", [["cancel"], ["cancel", "x", "--wait", "301"], ["launch"]])
def test_bad_usage_exits_2(sandbox: SandboxProcess, args: list[str]) -> None:
    assert run_cli(sandbox, *args).returncode == 2


def test_a_missing_key_is_one_line_naming_the_variable(sandbox: SandboxProcess) -> None:
    done = run_cli(sandbox, "get", str(uuid.uuid4()), BCTRL_API_KEY="")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "BCTRL_API_KEY" in done.stderr
    assert done.stdout == ""


def test_the_key_never_shows(sandbox: SandboxProcess) -> None:
    missing = str(uuid.uuid4())
    for args in (
        ["cancel", missing],
        ["cancel", missing, "--json"],
        ["get", missing],
        ["cancel", "a/b"],
    ):
        done = run_cli(sandbox, *args)
        assert sandbox.api_key not in done.stdout + done.stderr


def test_ids_and_server_text_are_shown_literally_never_as_markup(sandbox: SandboxProcess) -> None:
    done = run_cli(sandbox, "cancel", "[bold]x", "[/x]y")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "[bold]x" in done.stdout
    assert "[/x]y" in done.stdout
