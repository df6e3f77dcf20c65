"""Limits the operator sets on cancelling, which no tool argument can lift.

Each comes from a constructor argument or, failing that, a ``BCTRL_*`` variable:

=========================  ==========================================================
``BCTRL_READ_ONLY=1``      destructive tools are not offered at all
``BCTRL_DRY_RUN=1``        report what would be cancelled; send no cancel
``BCTRL_ALLOWED_SPACE_IDS`` comma-separated spaces a cancel may touch (read first)
``BCTRL_MAX_CANCELS=N``    at most N cancel requests per process or toolkit
``BCTRL_MAX_CANCELS_WINDOW`` ... per window (``90s``, ``30m``, ``1h``, ``1d``), not for good
``BCTRL_STATE_URL``        ``redis://host:port/db``: one budget for every process using it
``BCTRL_CONFIRM=1``        ask the person first (MCP elicitation)
``BCTRL_INVOCATION_ID``    this agent's own invocation, named ``"self"`` in tool calls
``BCTRL_CONCURRENCY=N``    parallel requests in a batch (default 16)
``BCTRL_AUDIT_LOG=PATH``   also append the audit JSON lines to this file
=========================  ==========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_serializer,
    field_validator,
    model_validator,
)

from bctrl_tools._env import env_flag as _flag
from bctrl_tools.budget import CancelBudget
from bctrl_tools.durations import DurationError, parse_duration
from bctrl_tools.errors import BctrlConfigError

__all__ = ["CancelBudget", "Guardrails", "parse_window", "redacted_url"]

DEFAULT_CONCURRENCY = 16
# The on/off switches whose messages say what switched them on.
_SWITCHES = {"read_only": "BCTRL_READ_ONLY", "dry_run": "BCTRL_DRY_RUN", "confirm": "BCTRL_CONFIRM"}


class Guardrails(BaseModel):
    """The operator's limits on cancelling. The defaults allow everything."""

    model_config = ConfigDict(frozen=True)

    read_only: bool = False
    dry_run: bool = False
    allowed_space_ids: frozenset[str] | None = None
    max_cancels: int | None = Field(default=None, ge=0)
    max_cancels_window: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    # May carry a password: never shown in a repr or an error (see redacted_url).
    state_url: str | None = Field(default=None, repr=False)
    confirm: bool = False
    self_invocation_id: str | None = None
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1)
    audit_log: Path | None = None

    # What switched each switch on (a flag, a variable or code), so that a message names
    # the setting the person actually used.
    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("state_url")
    @classmethod
    def _a_store_we_speak(cls, url: str | None) -> str | None:
        return _state_url(url)

    @field_serializer("state_url", when_used="unless-none")
    def _without_password(self, url: str) -> str:
        # A dump feeds reprs and logs (Operations.__repr__): the password stays out of it.
        return redacted_url(url)

    @model_validator(mode="after")
    def _read_only_wins(self) -> Guardrails:
        # BCTRL_READ_ONLY is the operator's switch: no argument built in code turns it off.
        if not self.read_only and _flag(os.environ, "BCTRL_READ_ONLY"):
            object.__setattr__(self, "read_only", True)
            self._sources["read_only"] = "BCTRL_READ_ONLY is set"
        return self

    @model_validator(mode="after")
    def _window_needs_a_limit(self) -> Guardrails:
        _check_window(self.max_cancels_window, self.max_cancels)
        return self

    def why(self, switch: str) -> str:
        """What switched ``switch`` (read_only, dry_run, confirm) on, e.g. "--dry-run was given"."""
        return self._sources.get(switch, f"{switch}=True was set in code")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        flags: Mapping[str, str] | None = None,
        **overrides: object,
    ) -> Guardrails:
        """Read ``BCTRL_*`` variables; keyword arguments that are not None win over them.

        ``flags`` names the command-line flag each override came from (``{"dry_run":
        "--dry-run"}``), so that messages name it; other overrides count as set in code.
        """
        env = os.environ if environ is None else environ
        spaces = env.get("BCTRL_ALLOWED_SPACE_IDS")
        values: dict[str, object] = {
            "read_only": _flag(env, "BCTRL_READ_ONLY"),
            "dry_run": _flag(env, "BCTRL_DRY_RUN"),
            "allowed_space_ids": _spaces(spaces) if spaces is not None else None,
            "max_cancels": _count(env, "BCTRL_MAX_CANCELS", minimum=0),
            "max_cancels_window": _window(env),
            "state_url": env.get("BCTRL_STATE_URL", "").strip() or None,
            "confirm": _flag(env, "BCTRL_CONFIRM"),
            "self_invocation_id": env.get("BCTRL_INVOCATION_ID", "").strip() or None,
            "concurrency": _count(env, "BCTRL_CONCURRENCY", minimum=1) or DEFAULT_CONCURRENCY,
            "audit_log": Path(env["BCTRL_AUDIT_LOG"]) if env.get("BCTRL_AUDIT_LOG") else None,
        }
        sources = {name: f"{var} is set" for name, var in _SWITCHES.items() if values[name]}
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
                flag = (flags or {}).get(name)
                sources[name] = f"{flag} was given" if flag else f"{name}={value!r} was set in code"
        if isinstance(values["allowed_space_ids"], str | list | tuple | set):
            values["allowed_space_ids"] = _spaces(values["allowed_space_ids"])
        # Checked here too so that a bad variable is a BctrlConfigError, not a pydantic dump.
        _state_url(values["state_url"] if isinstance(values["state_url"], str) else None)
        _check_window(values["max_cancels_window"], values["max_cancels"])
        rails = cls.model_validate(values)
        for name, source in sources.items():  # BCTRL_READ_ONLY forcing itself on stays named
            rails._sources.setdefault(name, source)
        return rails


def _count(env: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < minimum:
        raise BctrlConfigError(f"Invalid {name} {raw!r}: expected a whole number >= {minimum}.")
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


def parse_window(raw: str) -> float:
    """``90s``, ``30m``, ``1h``, ``1d`` or plain seconds (``3600``), in seconds."""
    try:
        seconds = parse_duration(raw, at_most=None)
    except DurationError:
        seconds = 0.0
    if not seconds > 0:
        raise BctrlConfigError(
            f"Invalid BCTRL_MAX_CANCELS_WINDOW {raw!r}: expected a duration greater than 0 "
            "such as 90s, 30m, 1h or 1d (a bare number is seconds)."
        )
    return seconds


def _check_window(window: object, limit: object) -> None:
    if window is not None and limit is None:
        raise BctrlConfigError(
            "BCTRL_MAX_CANCELS_WINDOW is set but BCTRL_MAX_CANCELS is not: set how many "
            "cancels each window allows (for example 20 in BCTRL_MAX_CANCELS), or unset the window."
        )


def _window(env: Mapping[str, str]) -> float | None:
    raw = env.get("BCTRL_MAX_CANCELS_WINDOW", "").strip()
    return parse_window(raw) if raw else None


_STATE_SCHEMES = {"redis", "rediss", "unix"}


def _state_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in _STATE_SCHEMES or not (parts.netloc or parts.path):
        raise BctrlConfigError(
            f"Invalid BCTRL_STATE_URL {redacted_url(url)!r}: expected a Redis URL such as "
            "redis://127.0.0.1:6379/0 (rediss:// for TLS, unix:///path/redis.sock)."
        )
    return url.strip()


def redacted_url(url: str) -> str:
    """``url`` without its password or query, to name a store in messages and logs."""
    parts = urlsplit(url.strip())
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0] if "@" in parts.netloc else ""
    who = f"{user}:***@" if user else ("***@" if "@" in parts.netloc else "")
    return f"{parts.scheme}://{who}{host}{parts.path}"
