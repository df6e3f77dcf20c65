"""When a live invocation counts as runaway: rules over a record and a clock reading.

Pure functions of a record and a clock reading, shared by the ``list_invocations`` tool,
``bctrl-tools list`` and the ``bctrl-tools watch`` watchdog, so all three flag the same
invocations for the same reasons.

The three rules, each off unless given a threshold:

- ``running_longer_than_seconds``: seconds since it started (or, while it still waits
  in the queue, since it was created) exceed the threshold (for a finished invocation
  the age stops at its end, and it has no heartbeat age);
- ``heartbeat_older_than_seconds``: seconds since its last heartbeat (or since it
  started, if it has sent none) exceed the threshold; an invocation that has not
  started is not expected to beat;
- ``min_steps``: the step it is on (``progress.step``, counting from 1) is at least this.

Only live invocations (not succeeded, failed, cancelled or timed out) can match. Ages
are measured against the caller's clock, as the API sends no clock of its own in the
records; a skewed local clock shifts every age by the skew.
"""

from __future__ import annotations

from dataclasses import dataclass

from bctrl_tools.durations import format_duration
from bctrl_tools.models import Invocation
from bctrl_tools.outcomes import parse_timestamp

__all__ = [
    "RULE_NAMES",
    "RunawayRules",
    "Vitals",
]

RUNNING_LONGER_THAN = "running_longer_than_seconds"
HEARTBEAT_OLDER_THAN = "heartbeat_older_than_seconds"
MIN_STEPS = "min_steps"
# Named as the list tool's arguments, so a model reads which of its own filters matched.
RULE_NAMES = (RUNNING_LONGER_THAN, HEARTBEAT_OLDER_THAN, MIN_STEPS)


@dataclass(frozen=True)
class Vitals:
    """What the rules look at in one invocation, at one instant."""

    live: bool
    age_seconds: float | None
    heartbeat_age_seconds: float | None
    step: int | None

    @classmethod
    def of(cls, invocation: Invocation, now: float) -> Vitals:
        """Read them from a record; ``now`` is seconds since the epoch."""
        created = parse_timestamp(invocation.created_at)
        started = parse_timestamp(invocation.started_at)
        beat = parse_timestamp(invocation.last_heartbeat_at)
        since = started if started is not None else created
        live = not invocation.is_terminal
        # A finished one's age stops at its end; it is past beating, so it has no heartbeat age.
        until = now if live else (parse_timestamp(invocation.finished_at) or now)
        last_sign = (beat if beat is not None else started) if live else None
        return cls(
            live=live,
            age_seconds=None if since is None else max(0.0, until - since),
            heartbeat_age_seconds=None if last_sign is None else max(0.0, now - last_sign),
            step=invocation.progress.step if invocation.progress else None,
        )


@dataclass(frozen=True)
class RunawayRules:
    """Thresholds; a rule left as None is off."""

    running_longer_than_seconds: float | None = None
    heartbeat_older_than_seconds: float | None = None
    min_steps: int | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in self._thresholds())

    def matched(self, vitals: Vitals) -> tuple[str, ...]:
        """The names of the rules this invocation breaks, in RULE_NAMES order."""
        if not vitals.live:
            return ()
        checks = (
            (RUNNING_LONGER_THAN, _over(vitals.age_seconds, self.running_longer_than_seconds)),
            (
                HEARTBEAT_OLDER_THAN,
                _over(vitals.heartbeat_age_seconds, self.heartbeat_older_than_seconds),
            ),
            (MIN_STEPS, _at_least(vitals.step, self.min_steps)),
        )
        return tuple(name for name, broken in checks if broken)

    def selects(self, vitals: Vitals) -> bool:
        """Whether a filtered listing shows it: with no rule on, everything; else any match."""
        return not self.active or bool(self.matched(vitals))

    def describe(self) -> str:
        """``running > 10m00s, heartbeat > 2m00s``, or ``no rules``."""
        parts = []
        if self.running_longer_than_seconds is not None:
            parts.append(f"running > {format_duration(self.running_longer_than_seconds)}")
        if self.heartbeat_older_than_seconds is not None:
            parts.append(f"heartbeat > {format_duration(self.heartbeat_older_than_seconds)}")
        if self.min_steps is not None:
            parts.append(f"step >= {self.min_steps}")
        return ", ".join(parts) or "no rules"

    def _thresholds(self) -> tuple[float | int | None, ...]:
        return (self.running_longer_than_seconds, self.heartbeat_older_than_seconds, self.min_steps)


def _over(value: float | None, threshold: float | None) -> bool:
    return value is not None and threshold is not None and value > threshold


def _at_least(value: int | None, threshold: int | None) -> bool:
    return value is not None and threshold is not None and value >= threshold
