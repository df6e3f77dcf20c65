"""``bctrl-mcp`` / ``python -m mcp_server``: run the bctrl MCP server.

Over stdio, stdout carries the protocol and nothing else: every log line, warning and
startup error goes to stderr. A configuration error (no ``BCTRL_API_KEY``, a bad
variable, an unsafe bind) stops the server at once with one line and no traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from bctrl_tools.errors import BctrlConfigError
from bctrl_tools.settings import ClientSettings
from mcp_server.options import StartupError, parse_options
from mcp_server.server import create_server

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(argv)
    configure_logging(options.log_level)
    try:
        options.check()
        server = create_server(settings=ClientSettings.resolve(), guardrails=options.guardrails())
    except (BctrlConfigError, StartupError) as error:
        sys.exit(f"bctrl-mcp: {error}")  # one line on stderr, exit status 1
    try:
        if options.transport == "stdio":
            server.run("stdio")
        else:
            from mcp_server.streamable_http import serve_http

            serve_http(server, options)
    except KeyboardInterrupt:
        sys.exit(130)


def configure_logging(level: str) -> None:
    """Everything to stderr; the audit trail (one JSON line per cancel) always shown."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,  # before MCPServer installs its own handler
    )
    logging.getLogger("bctrl_tools.audit").setLevel(logging.INFO)


if __name__ == "__main__":
    main()
