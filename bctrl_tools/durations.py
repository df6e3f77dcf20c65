"""Durations as people write them (``90s``, ``10m``, ``1h30m``, ``1d``), read one way everywhere.

The watchdog's and the list tool's thresholds and the cancel budget's window all take
them, so a person learns one spelling.
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_DURATION_SECONDS", "DurationError", "format_duration", "parse_duration"]

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


def format_duration(seconds: float) -> str:
    """``45s``, ``12m03s``, ``1h``, ``2h30m``, ``2d03h``: what ``parse_duration`` reads back."""
    if seconds < 9.95:  # a tenth of a second still tells a model something here
        return f"{max(seconds, 0.0):.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h" if hours else f"{days}d"
