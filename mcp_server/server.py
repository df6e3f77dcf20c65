"""``create_server``: the bctrl tools as a configured ``MCPServer``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateSecurity

from bctrl_tools import __version__
from bctrl_tools.errors import BctrlConfigError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.settings import ClientSettings
from bctrl_tools.spec import offered_specs
from mcp_server.capabilities import advertise_only_what_we_serve
from mcp_server.confirmation import CONFIRMATION_TTL, Claims, UsedOnce
from mcp_server.lifespan import Lifespan, operations_lifespan
from mcp_server.missing_key import key_is_missing
from mcp_server.tools import spec_tool

__all__ = ["SERVER_NAME", "STATE_SECRET_VARIABLE", "create_server"]

SERVER_NAME = "bctrl"
STATE_SECRET_VARIABLE = "BCTRL_MCP_STATE_SECRET"  # noqa: S105 - the variable's name
_MIN_SECRET_BYTES = 32


def create_server(
    *,
    settings: ClientSettings | None = None,
    guardrails: Guardrails | None = None,
    operations: Operations | None = None,
    state_secret: str | None = None,
    allow_missing_key: bool = False,
) -> MCPServer[Operations]:
    """The bctrl MCP server, ready to run over any transport or to test in-process.

    Arguments left out come from the environment, as for the client: ``BCTRL_API_KEY``
    and ``BCTRL_BASE_URL`` for ``settings``, the ``BCTRL_*`` guardrails for
    ``guardrails``, ``BCTRL_MCP_STATE_SECRET`` for ``state_secret``. Pass ``operations``
    to share one you own (its guardrails then apply, and you close it); otherwise the
    server opens one client when it starts and closes it when it stops.

    ``state_secret`` seals the confirmation rounds of the 2026-07-28 protocol, so that
    every replica given the same secret can finish a round another one started. Without
    it each process seals under a key of its own.

    With ``allow_missing_key``, a server given no settings and finding no
    ``BCTRL_API_KEY`` still starts: it lists its tools and answers every call with how
    to set the key (what ``bctrl-mcp`` does, so that a host can show why).

    Raises:
        BctrlConfigError: No API key (unless allowed), or a malformed setting, before
            anything runs.
    """
    has_key = True
    if operations is not None:
        rails = operations.guardrails
    else:
        rails = guardrails if guardrails is not None else Guardrails.from_env()
        has_key = settings is not None or not (allow_missing_key and key_is_missing())
        if has_key:
            settings = settings if settings is not None else ClientSettings.resolve()
    secret = state_secret if state_secret is not None else os.environ.get(STATE_SECRET_VARIABLE)
    claims = _claims(rails)
    return MCPServer(
        SERVER_NAME,
        title="bctrl",
        version=__version__,
        # Read-only mode drops the destructive tools here, so they are never listed.
        tools=[spec_tool(spec, claims, has_key=has_key) for spec in offered_specs(rails)],
        lifespan=_closing(operations_lifespan(settings, rails, operations), claims),
        log_level="WARNING",
        request_state_security=_sealing(secret, rails),
        middleware=[advertise_only_what_we_serve],
    )


def _sealing(secret: str | None, rails: Guardrails) -> RequestStateSecurity:
    """How confirmation rounds are sealed: by the shared secret, or a key of this process."""
    if not secret or not secret.strip():
        return RequestStateSecurity.ephemeral(ttl=CONFIRMATION_TTL)
    # "new,old" while rotating: the first seals, every one opens.
    keys = [key.strip() for key in secret.split(",") if key.strip()]
    if any(len(key.encode()) < _MIN_SECRET_BYTES for key in keys):
        raise BctrlConfigError(
            f"{STATE_SECRET_VARIABLE} must be at least {_MIN_SECRET_BYTES} bytes of secret "
            "randomness (each one, when rotating 'new,old'). Make one with: "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        )
    if rails.state_url is None:
        # A shared seal lets any replica read an answer; only a shared mark keeps it single-use.
        raise BctrlConfigError(
            f"{STATE_SECRET_VARIABLE} lets every replica finish a confirmation, so each "
            "answer must be marked used where every replica sees it: set BCTRL_STATE_URL "
            f"(redis://host:port/db) as well, or unset {STATE_SECRET_VARIABLE}."
        )
    return RequestStateSecurity(keys=keys, ttl=CONFIRMATION_TTL)


def _claims(rails: Guardrails) -> Claims:
    if rails.state_url is None:
        return UsedOnce()
    from bctrl_tools.redis_store import RedisStore  # only a shared store needs redis

    return RedisStore(rails.state_url)


def _closing(lifespan: Lifespan, claims: Claims) -> Lifespan:
    @asynccontextmanager
    async def closing(server: MCPServer[Operations]) -> AsyncIterator[Operations]:
        try:
            async with lifespan(server) as operations:
                yield operations
        finally:
            aclose = getattr(claims, "aclose", None)
            if aclose is not None:
                await aclose()

    return closing
