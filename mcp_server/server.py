"""``create_server``: the bctrl tools as a configured ``MCPServer``."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from bctrl_tools import __version__
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.settings import ClientSettings
from bctrl_tools.spec import offered_specs
from mcp_server.lifespan import operations_lifespan
from mcp_server.tools import spec_tool

__all__ = ["SERVER_NAME", "create_server"]

SERVER_NAME = "bctrl"


def create_server(
    *,
    settings: ClientSettings | None = None,
    guardrails: Guardrails | None = None,
    operations: Operations | None = None,
) -> MCPServer[Operations]:
    """The bctrl MCP server, ready to run over any transport or to test in-process.

    Arguments left out come from the environment, as for the client: ``BCTRL_API_KEY``
    and ``BCTRL_BASE_URL`` for ``settings``, the ``BCTRL_*`` guardrails for
    ``guardrails``. Pass ``operations`` to share one you own (its guardrails then
    apply, and you close it); otherwise the server opens one client when it starts and
    closes it when it stops.

    Raises:
        BctrlConfigError: No API key, or a malformed setting, before anything runs.
    """
    if operations is not None:
        rails = operations.guardrails
    else:
        rails = guardrails if guardrails is not None else Guardrails.from_env()
        settings = settings if settings is not None else ClientSettings.resolve()
    return MCPServer(
        SERVER_NAME,
        title="bctrl",
        version=__version__,
        # Read-only mode drops the destructive tools here, so they are never listed.
        tools=[spec_tool(spec) for spec in offered_specs(rails)],
        lifespan=operations_lifespan(settings, rails, operations),
        log_level="WARNING",
    )
