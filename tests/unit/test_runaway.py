"""Durations and runaway rules: pure functions, so checked by example and by property."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bctrl_tools.durations import DurationError, format_duration, parse_duration
from bctrl_tools.models import Invocation
from bctrl_tools.runaway import (
    HEARTBEAT_OLDER_THAN,
    MIN_STEPS,
    RULE_NAMES,
    RUNNING_LONGER_THAN,
    RunawayRules,
    Vitals,
)
from tests.unit.runs import NOW, iso_ago, record, record_data


def _record(status: str = "running", **options: Any) -> Invocation:
    return record(status, **options)


# -- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("45", 45),
        ("1.5m", 90),
        ("1d", 86400),
    ],
)
def test_durations_people_write(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(f" {text.upper()} ") == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "-5s", "m", "1h 30m", "1e3s", "200h"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(DurationError, match=r"duration|7 days"):
        parse_duration(text)


@given(st.integers(0, 167), st.integers(0, 59), st.integers(0, 59))
def test_any_hms_parses_to_its_seconds(hours: int, minutes: int, seconds: int) -> None:
    assert parse_duration(f"{hours}h{minutes}m{seconds}s") == hours * 3600 + minutes * 60 + seconds


@given(st.floats(0, 7 * 24 * 3600))
def test_formatted_durations_parse_back_within_a_unit(seconds: float) -> None:
    # Within the smallest unit shown: minutes up to two days, hours beyond.
    unit = 60 if seconds < 48 * 3600 else 3600
    assert abs(parse_duration(format_duration(seconds)) - seconds) < unit


# -- vitals ----------------------------------------------------------------------------


def test_vitals_of_a_running_record() -> None:
    vitals = Vitals.of(_record(), NOW)
    assert vitals == Vitals(live=True, age_seconds=590, heartbeat_age_seconds=1, step=2)


def test_a_waiting_record_ages_from_creation_and_has_no_heartbeat_age() -> None:
    record = _record("queued", started_ago=None, heartbeat_ago=None, step=0)
    assert Vitals.of(record, NOW) == Vitals(True, 600, None, 0)


def test_a_started_record_that_never_beat_is_as_silent_as_its_start() -> None:
    assert Vitals.of(_record(heartbeat_ago=None), NOW).heartbeat_age_seconds == 590


def test_a_clock_behind_the_server_gives_ages_of_zero_not_negative() -> None:
    vitals = Vitals.of(_record(created_ago=-5, started_ago=-5, heartbeat_ago=-5), NOW)
    assert vitals.age_seconds == 0
    assert vitals.heartbeat_age_seconds == 0


# -- rules -----------------------------------------------------------------------------


def test_each_rule_names_itself() -> None:
    vitals = Vitals(live=True, age_seconds=700, heartbeat_age_seconds=200, step=12)
    assert RunawayRules(running_longer_than_seconds=600).matched(vitals) == (RUNNING_LONGER_THAN,)
    assert RunawayRules(heartbeat_older_than_seconds=120).matched(vitals) == (HEARTBEAT_OLDER_THAN,)
    assert RunawayRules(min_steps=12).matched(vitals) == (MIN_STEPS,)
    every = RunawayRules(600, 120, 12)
    assert every.matched(vitals) == RULE_NAMES


def test_thresholds_are_strict_for_time_and_inclusive_for_steps() -> None:
    vitals = Vitals(live=True, age_seconds=600, heartbeat_age_seconds=120, step=11)
    assert RunawayRules(600, 120, 12).matched(vitals) == ()
    assert RunawayRules(599.9, 119.9, 11).matched(vitals) == RULE_NAMES


def test_finished_work_never_matches() -> None:
    for status in ("succeeded", "failed", "cancelled", "timed_out"):
        vitals = Vitals.of(_record(status, heartbeat_ago=3000, step=99), NOW)
        assert RunawayRules(0, 0, 0).matched(vitals) == ()


def test_an_unknown_status_counts_as_live() -> None:
    vitals = Vitals.of(_record("paused"), NOW)
    assert RunawayRules(running_longer_than_seconds=60).matched(vitals) == (RUNNING_LONGER_THAN,)


def test_selects_everything_without_rules_and_any_match_with_them() -> None:
    quiet = Vitals(live=True, age_seconds=5, heartbeat_age_seconds=1, step=1)
    stalled = Vitals(live=True, age_seconds=5, heartbeat_age_seconds=500, step=1)
    assert RunawayRules().selects(quiet)
    rules = RunawayRules(running_longer_than_seconds=600, heartbeat_older_than_seconds=120)
    assert not rules.selects(quiet)
    assert rules.selects(stalled)


def test_describe_reads_like_the_cli_flags() -> None:
    assert RunawayRules().describe() == "no rules"
    assert RunawayRules(600, 90, 5).describe() == "running > 10m, heartbeat > 1m30s, step >= 5"


_maybe_seconds = st.none() | st.floats(0, 1e6)
_maybe_steps = st.none() | st.integers(0, 1000)


@given(
    live=st.booleans(),
    age=_maybe_seconds,
    beat=_maybe_seconds,
    step=_maybe_steps,
    threshold=st.floats(0, 1e6),
    lower=st.floats(0, 1),
)
def test_lowering_a_threshold_never_unflags(
    live: bool,
    age: float | None,
    beat: float | None,
    step: int | None,
    threshold: float,
    lower: float,
) -> None:
    vitals = Vitals(live, age, beat, step)
    strict = RunawayRules(threshold, threshold, int(threshold))
    loose = RunawayRules(threshold * lower, threshold * lower, int(threshold * lower))
    assert set(strict.matched(vitals)) <= set(loose.matched(vitals))
    if not live:
        assert loose.matched(vitals) == ()


@given(age=_maybe_seconds, beat=_maybe_seconds, step=_maybe_steps)
def test_no_rules_match_nothing(age: float | None, beat: float | None, step: int | None) -> None:
    assert RunawayRules().matched(Vitals(True, age, beat, step)) == ()


def test_a_finished_record_ages_until_its_end_and_has_no_heartbeat_age() -> None:
    data = record_data("succeeded", started_ago=500, heartbeat_ago=200, finishedAt=iso_ago(200))
    vitals = Vitals.of(Invocation.model_validate(data), NOW)
    assert vitals.age_seconds == 300
    assert vitals.heartbeat_age_seconds is None
