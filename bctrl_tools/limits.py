"""The limits on tool arguments, defined once.

The input models (``spec.py``), the operations and the CLI all read these, so a
limit the model is told about is the limit every face enforces.
"""

from __future__ import annotations

__all__ = ["MAX_BATCH", "MAX_REASON_LENGTH", "MAX_WAIT_SECONDS", "check_wait_seconds"]

MAX_WAIT_SECONDS = 300
MAX_BATCH = 500
MAX_REASON_LENGTH = 500


def check_wait_seconds(wait_seconds: object) -> int:
    """``wait_seconds`` if it is whole seconds within the limit, else a ValueError saying so."""
    if isinstance(wait_seconds, bool) or not isinstance(wait_seconds, int):
        raise ValueError(f"wait_seconds must be a whole number of seconds, not {wait_seconds!r}.")
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise ValueError(f"wait_seconds must be from 0 to {MAX_WAIT_SECONDS}; got {wait_seconds}.")
    return wait_seconds
