"""Reading ``BCTRL_*`` switches the same way everywhere (client settings and guardrails)."""

from __future__ import annotations

from collections.abc import Mapping

from bctrl_tools.errors import BctrlConfigError

__all__ = ["env_flag"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """Whether the on/off variable ``name`` is on; a value that is neither is an error."""
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BctrlConfigError(f"Invalid {name} {raw!r}: expected 1/0, true/false, yes/no or on/off.")
