"""Durations as people write them (``90s``, ``10m``, ``1h30m``, ``1d``), read one way everywhere.

The watchdog's and the list tool's thresholds and the cancel budget's window all take
them, so a person learns one spelling.
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_DURATION_SECONDS", "DurationError", "parse_duration"]

# A week: far above any threshold that makes sense, low enough to catch a typo.
MAX_DURATION_SECONDS = 7 * 24 * 3600

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhd])+|\d+(?:\.\d+)?")


class DurationError(ValueError):
    """A duration that is not like ``90s``, ``10m``, ``1h``, ``1h30m`` or ``1d``."""


def parse_duration(text: str, *, at_most: float | None = MAX_DURATION_SECONDS) -> float:
    """Seconds in ``90s``, ``10m``, ``1h``, ``1h30m``, ``1d`` or a bare number of seconds."""
    cleaned = text.strip().lower()
    if not _DURATION.fullmatch(cleaned):
        raise DurationError(
            f"{text!r} is not a duration: use a number with s, m, h or d, such as 90s, 10m or 1h."
        )
    parts = _PART.findall(cleaned) or [(cleaned, "s")]
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if not math.isfinite(seconds) or (at_most is not None and seconds > at_most):
        raise DurationError(f"{text!r} is longer than the 7 days (168h) allowed.")
    return seconds
