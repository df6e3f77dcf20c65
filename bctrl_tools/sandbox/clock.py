"""Wall-clock milliseconds and the ISO-8601 form bctrl uses for timestamps.

Wall-clock (not monotonic) time is stored because statuses are derived from
stored timestamps and must stay right across a restart of the process.
"""

from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds as `2025-01-31T12:00:00.123Z`."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def iso_or_none(ms: int | None) -> str | None:
    """Like `iso_ms`, passing `None` through for fields the schema allows to be null."""
    return None if ms is None else iso_ms(ms)
