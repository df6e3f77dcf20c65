"""``bctrl-mcp`` / ``python -m mcp_server``: run the bctrl MCP server.

Over stdio, stdout carries the protocol and nothing else: every log line, warning and
startup error goes to stderr. A configuration error (a bad variable, an unsafe bind,
a busy port) or a missing ``mcp`` extra stops the server at once with one line, no
traceback and exit status 2. A missing ``BCTRL_API_KEY`` does not: the server says so
in one line and answers every call with how to set it.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Sequence

from bctrl_tools import redaction
from bctrl_tools._extras import needs_extra
from bctrl_tools.errors import BctrlConfigError
from mcp_server.options import ServerOptions, StartupError, parse_options

__all__ = ["main"]

EXIT_CONFIGURATION = 2  # as for bad usage: the command line or environment must change


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(argv)  # --help and --version need no extra
    configure_logging(options.log_level)
    with needs_extra("bctrl-mcp", "mcp"):
        from mcp_server.missing_key import STARTUP_LINE, key_is_missing
        from mcp_server.server import create_server
    try:
        options.check()
        server = create_server(guardrails=options.guardrails(), allow_missing_key=True)
        # Bound before the banner: a busy port is a configuration error like the others.
        sock = _listen(options) if options.transport == "streamable-http" else None
    except (BctrlConfigError, StartupError) as error:
        print(f"bctrl-mcp: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIGURATION)
    if key_is_missing():
        print(STARTUP_LINE, file=sys.stderr, flush=True)  # served anyway: see missing_key
    try:
        if sock is None:
            server.run("stdio")
        else:
            from mcp_server.streamable_http import serve_http

            serve_http(server, options, sock)
    except KeyboardInterrupt:
        sys.exit(130)


def _listen(options: ServerOptions) -> socket.socket:
    from mcp_server.streamable_http import listen  # uvicorn and starlette: HTTP only

    return listen(options)


def configure_logging(level: str) -> None:
    """Everything to stderr; the audit trail (one JSON line per cancel) always shown."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,  # before MCPServer installs its own handler
    )
    logging.getLogger("bctrl_tools.audit").setLevel(logging.INFO)
    # Every record reaches this handler, whatever logger it came from (one created after
    # the client included): the key a server echoes is redacted here too.
    for handler in logging.root.handlers:
        handler.addFilter(redaction.FILTER)


if __name__ == "__main__":
    main()
