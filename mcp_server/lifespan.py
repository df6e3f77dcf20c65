"""The server's one bctrl client: opened when the server starts, closed when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from bctrl_tools.client import AsyncBctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.settings import ClientSettings

__all__ = ["Lifespan", "operations_lifespan", "operations_of"]

Lifespan = Callable[[MCPServer[Operations]], AbstractAsyncContextManager[Operations]]


def operations_lifespan(
    settings: ClientSettings | None, guardrails: Guardrails, lent: Operations | None
) -> Lifespan:
    """A lifespan yielding the :class:`Operations` every tool call shares.

    One ``Operations`` per server process means one connection pool and one cancel
    budget (``BCTRL_MAX_CANCELS``) for every client of this server. ``lent`` operations
    belong to whoever passed them in, who also closes them. Without ``settings`` (a
    server started with no key) no client is opened: no call ever reaches bctrl.
    """

    @asynccontextmanager
    async def lifespan(_: MCPServer[Operations]) -> AsyncIterator[Operations]:
        if lent is not None:
            yield lent
            return
        if settings is None:
            yield Operations(guardrails=guardrails, face="mcp")
            return
        client = AsyncBctrlClient(settings=settings)
        operations = Operations(async_client=client, guardrails=guardrails, face="mcp")
        try:
            yield operations
        finally:
            await operations.aclose()  # its budget's store; the client it was lent stays open
            await client.aclose()

    return lifespan


def operations_of(context: Context[Any, Any]) -> Operations:
    """The ``Operations`` the lifespan yielded, from inside a tool call."""
    operations = context.request_context.lifespan_context
    if not isinstance(operations, Operations):
        raise TypeError(f"the lifespan yielded {type(operations).__name__}, not Operations")
    return operations
