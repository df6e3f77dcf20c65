"""Limits the operator sets on cancelling, which no tool argument can lift.

Each comes from a constructor argument or, failing that, a ``BCTRL_*`` variable:

=========================  ==========================================================
``BCTRL_READ_ONLY=1``      destructive tools are not offered at all
``BCTRL_DRY_RUN=1``        report what would be cancelled; send no cancel
``BCTRL_ALLOWED_SPACE_IDS`` comma-separated spaces a cancel may touch (read first)
``BCTRL_MAX_CANCELS=N``    at most N cancel requests per process or toolkit
``BCTRL_CONFIRM=1``        ask the person first (MCP elicitation)
``BCTRL_INVOCATION_ID``    this agent's own invocation, named ``"self"`` in tool calls
``BCTRL_CONCURRENCY=N``    parallel requests in a batch (default 16)
``BCTRL_AUDIT_LOG=PATH``   also append the audit JSON lines to this file
=========================  ==========================================================
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bctrl_tools.errors import BctrlConfigError

__all__ = ["CancelBudget", "Guardrails"]

DEFAULT_CONCURRENCY = 16
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class Guardrails(BaseModel):
    """The operator's limits on cancelling. The defaults allow everything."""

    model_config = ConfigDict(frozen=True)

    read_only: bool = False
    dry_run: bool = False
    allowed_space_ids: frozenset[str] | None = None
    max_cancels: int | None = Field(default=None, ge=0)
    confirm: bool = False
    self_invocation_id: str | None = None
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1)
    audit_log: Path | None = None

    @model_validator(mode="after")
    def _read_only_wins(self) -> Guardrails:
        # BCTRL_READ_ONLY is the operator's switch: no argument built in code turns it off.
        if not self.read_only and _flag(os.environ, "BCTRL_READ_ONLY"):
            object.__setattr__(self, "read_only", True)
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Guardrails:
        """Read ``BCTRL_*`` variables; keyword arguments that are not None win over them."""
        env = os.environ if environ is None else environ
        spaces = env.get("BCTRL_ALLOWED_SPACE_IDS")
        values: dict[str, object] = {
            "read_only": _flag(env, "BCTRL_READ_ONLY"),
            "dry_run": _flag(env, "BCTRL_DRY_RUN"),
            "allowed_space_ids": _spaces(spaces) if spaces is not None else None,
            "max_cancels": _count(env, "BCTRL_MAX_CANCELS", minimum=0),
            "confirm": _flag(env, "BCTRL_CONFIRM"),
            "self_invocation_id": env.get("BCTRL_INVOCATION_ID", "").strip() or None,
            "concurrency": _count(env, "BCTRL_CONCURRENCY", minimum=1) or DEFAULT_CONCURRENCY,
            "audit_log": Path(env["BCTRL_AUDIT_LOG"]) if env.get("BCTRL_AUDIT_LOG") else None,
        }
        values.update({name: value for name, value in overrides.items() if value is not None})
        if isinstance(values["allowed_space_ids"], str | list | tuple | set):
            values["allowed_space_ids"] = _spaces(values["allowed_space_ids"])
        return cls.model_validate(values)


class CancelBudget:
    """Counts cancel requests against ``max_cancels``; shared by every tool of one owner."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one cancel if any is left."""
        with self._lock:
            if self.limit is not None and self.spent >= self.limit:
                return False
            self.spent += 1
            return True


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BctrlConfigError(f"Invalid {name}={raw!r}: expected 1/0, true/false, yes/no or on/off.")


def _count(env: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < minimum:
        raise BctrlConfigError(f"Invalid {name}={raw!r}: expected a whole number >= {minimum}.")
    return int(raw)


def _spaces(raw: object) -> frozenset[str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    assert isinstance(items, list | tuple | set | frozenset)
    spaces = frozenset(str(item).strip() for item in items if str(item).strip())
    if not spaces:
        # An empty allow-list would silently refuse everything; say so instead.
        raise BctrlConfigError(
            "BCTRL_ALLOWED_SPACE_IDS is set but names no space: list the space ids a cancel "
            "may touch, comma-separated, or unset it to allow every space."
        )
    return spaces
