"""The limits on tool arguments, defined once.

The input models (``spec.py``), the operations and the CLI all read these, so a
limit the model is told about is the limit every face enforces.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "MAX_BATCH",
    "MAX_LIST_LIMIT",
    "MAX_REASON_LENGTH",
    "MAX_WAIT_SECONDS",
    "check_reason",
    "check_wait_seconds",
]

MAX_WAIT_SECONDS = 300
MAX_BATCH = 500
MAX_REASON_LENGTH = 500
# How many invocations one list_invocations call may return (a batch's worth).
MAX_LIST_LIMIT = MAX_BATCH
DEFAULT_LIST_LIMIT = 100


def check_wait_seconds(wait_seconds: object) -> int:
    """``wait_seconds`` if it is whole seconds within the limit, else a ValueError saying so."""
    if isinstance(wait_seconds, bool) or not isinstance(wait_seconds, int):
        raise ValueError(f"wait_seconds must be a whole number of seconds, not {wait_seconds!r}.")
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise ValueError(f"wait_seconds must be from 0 to {MAX_WAIT_SECONDS}; got {wait_seconds}.")
    return wait_seconds


def check_reason(reason: object) -> str:
    """``reason`` if it is text within the limit, else a ValueError saying so."""
    if not isinstance(reason, str):
        raise ValueError(f"reason must be text, not {type(reason).__name__}.")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(
            f"reason is {len(reason)} characters long; at most {MAX_REASON_LENGTH} are allowed. "
            "Shorten it: it is for the audit log, not sent to bctrl."
        )
    return reason
