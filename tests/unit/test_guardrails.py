from __future__ import annotations

from pathlib import Path

import pytest

from bctrl_tools import BctrlConfigError
from bctrl_tools.guardrails import CancelBudget, Guardrails
from bctrl_tools.spec import offered_specs
from tests.contract import READ_ONLY_TOOLS, TOOLS


def test_defaults_allow_everything() -> None:
    rails = Guardrails.from_env({})
    assert not rails.read_only
    assert not rails.dry_run
    assert not rails.confirm
    assert rails.allowed_space_ids is None
    assert rails.max_cancels is None
    assert rails.self_invocation_id is None
    assert rails.concurrency == 16
    assert rails.audit_log is None


def test_every_variable_is_read() -> None:
    rails = Guardrails.from_env(
        {
            "BCTRL_READ_ONLY": "1",
            "BCTRL_DRY_RUN": "true",
            "BCTRL_CONFIRM": "yes",
            "BCTRL_ALLOWED_SPACE_IDS": " space-a, space-b ,",
            "BCTRL_MAX_CANCELS": "5",
            "BCTRL_INVOCATION_ID": "own-id",
            "BCTRL_CONCURRENCY": "4",
            "BCTRL_AUDIT_LOG": "/tmp/audit.jsonl",
        }
    )
    assert rails.read_only
    assert rails.dry_run
    assert rails.confirm
    assert rails.allowed_space_ids == frozenset({"space-a", "space-b"})
    assert rails.max_cancels == 5
    assert rails.self_invocation_id == "own-id"
    assert rails.concurrency == 4
    assert rails.audit_log == Path("/tmp/audit.jsonl")


def test_arguments_win_over_the_environment() -> None:
    rails = Guardrails.from_env(
        {"BCTRL_DRY_RUN": "1", "BCTRL_MAX_CANCELS": "5"},
        dry_run=False,
        max_cancels=1,
        allowed_space_ids=["space-c"],
    )
    assert not rails.dry_run
    assert rails.max_cancels == 1
    assert rails.allowed_space_ids == frozenset({"space-c"})


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("BCTRL_READ_ONLY", "maybe", "BCTRL_READ_ONLY"),
        ("BCTRL_MAX_CANCELS", "-1", "BCTRL_MAX_CANCELS"),
        ("BCTRL_MAX_CANCELS", "lots", "BCTRL_MAX_CANCELS"),
        ("BCTRL_CONCURRENCY", "0", "BCTRL_CONCURRENCY"),
        ("BCTRL_ALLOWED_SPACE_IDS", " , ", "names no space"),
    ],
)
def test_bad_values_are_clear_errors(variable: str, value: str, match: str) -> None:
    with pytest.raises(BctrlConfigError, match=match):
        Guardrails.from_env({variable: value})


def test_budget_counts_down_to_refusal() -> None:
    budget = CancelBudget(2)
    assert [bool(budget.take()) for _ in range(3)] == [True, True, False]
    assert budget.spent == 2
    unlimited = CancelBudget(None)
    assert all(unlimited.take() for _ in range(100))


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("1d", 86400), ("3600", 3600), ("1.5h", 5400)],
)
def test_a_budget_window_reads_like_a_person_writes_it(raw: str, seconds: float) -> None:
    rails = Guardrails.from_env({"BCTRL_MAX_CANCELS": "5", "BCTRL_MAX_CANCELS_WINDOW": raw})
    assert rails.max_cancels_window == seconds


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"BCTRL_MAX_CANCELS": "5", "BCTRL_MAX_CANCELS_WINDOW": "0"}, "greater than 0"),
        ({"BCTRL_MAX_CANCELS": "5", "BCTRL_MAX_CANCELS_WINDOW": "an hour"}, "such as 90s"),
        ({"BCTRL_MAX_CANCELS_WINDOW": "1h"}, "BCTRL_MAX_CANCELS is not"),
        ({"BCTRL_STATE_URL": "http://cache:6379"}, "expected a Redis URL"),
    ],
)
def test_bad_shared_budget_settings_say_what_to_write(env: dict[str, str], match: str) -> None:
    with pytest.raises(BctrlConfigError, match=match):
        Guardrails.from_env(env)


def test_the_state_url_password_is_never_shown() -> None:
    url = "redis://fleet:s3cret-pw@cache:6379/0"
    rails = Guardrails.from_env({"BCTRL_STATE_URL": url})
    assert rails.state_url == url
    assert "s3cret-pw" not in repr(rails)
    with pytest.raises(BctrlConfigError) as error:
        Guardrails.from_env({"BCTRL_STATE_URL": "http://fleet:s3cret-pw@cache"})
    assert "s3cret-pw" not in str(error.value)


def test_read_only_offers_only_read_only_tools() -> None:
    names = [spec.name for spec in offered_specs(Guardrails(read_only=True))]
    assert names == READ_ONLY_TOOLS
    every = [spec.name for spec in offered_specs(Guardrails())]
    assert every == TOOLS


def test_read_only_from_the_environment_wins_over_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BCTRL_READ_ONLY", "1")
    assert Guardrails(read_only=False).read_only
    assert Guardrails.from_env(read_only=False).read_only
    monkeypatch.setenv("BCTRL_READ_ONLY", "0")
    assert not Guardrails().read_only


def test_each_switch_knows_what_switched_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BCTRL_READ_ONLY", raising=False)
    flagged = Guardrails.from_env({}, dry_run=True, confirm=True, flags={"dry_run": "--dry-run"})
    assert flagged.why("dry_run") == "--dry-run was given"
    assert flagged.why("confirm") == "confirm=True was set in code"
    from_variables = Guardrails.from_env({"BCTRL_DRY_RUN": "1", "BCTRL_CONFIRM": "yes"})
    assert from_variables.why("dry_run") == "BCTRL_DRY_RUN is set"
    assert from_variables.why("confirm") == "BCTRL_CONFIRM is set"
    # A flag wins over the variable, and so does its name in messages.
    both = Guardrails.from_env({"BCTRL_DRY_RUN": "1"}, dry_run=True, flags={"dry_run": "--dry-run"})
    assert both.why("dry_run") == "--dry-run was given"
    assert Guardrails(dry_run=True).why("dry_run") == "dry_run=True was set in code"
    monkeypatch.setenv("BCTRL_READ_ONLY", "1")
    assert Guardrails(read_only=False).why("read_only") == "BCTRL_READ_ONLY is set"
    assert Guardrails.from_env({}, read_only=False).why("read_only") == "BCTRL_READ_ONLY is set"
