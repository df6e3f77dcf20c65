"""Serving over streamable HTTP: DNS-rebinding protection, a bearer token, uvicorn.

Anyone who can reach this endpoint can cancel invocations with the server's key, so
the app refuses requests whose ``Host`` is not one we serve (a web page cannot
rebind its name to us), and, with a token, every request without it.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import socket
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bctrl_tools.operations import Operations
from mcp_server.options import ServerOptions, StartupError

__all__ = ["BearerTokenGate", "http_app", "listen", "serve_http", "transport_security"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARDS = {"0.0.0.0", "::", "[::]", ""}  # noqa: S104 - names, not binds


# This server takes one static token, not OAuth. An MCP client that gets a bare 401
# tries OAuth discovery and registration first, so every refusal says how to connect.
HOW_TO_CONNECT = (
    "This MCP server takes a static bearer token, not OAuth: send the header "
    "'Authorization: Bearer <token>' with the token the server was started with "
    "(BCTRL_MCP_AUTH_TOKEN); in Claude Code: claude mcp add --transport http NAME URL "
    "--header 'Authorization: Bearer <token>'."
)
# RFC 9728 discovery paths: no metadata exists, which a 404 says (a 401 would not).
_OAUTH_DISCOVERY = "/.well-known/oauth-"


class BearerTokenGate:
    """ASGI middleware: answer 401 to any HTTP request without ``Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = _digest(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._authorized(Headers(scope=scope)):
            await self._app(scope, receive, send)
            return
        await _refusal(scope)(scope, receive, send)

    def _authorized(self, headers: Headers) -> bool:
        scheme, _, supplied = headers.get("authorization", "").partition(" ")
        # Digests have one length, so the comparison takes the same time for any guess.
        matches = hmac.compare_digest(_digest(supplied.strip()), self._expected)
        return scheme.lower() == "bearer" and matches


def _refusal(scope: Scope) -> JSONResponse:
    if str(scope.get("path", "")).startswith(_OAUTH_DISCOVERY):
        return JSONResponse({"error": "not_found", "error_description": HOW_TO_CONNECT}, 404)
    # RFC 6750 section 3.1: a request with no credentials gets a challenge without error
    # details; one with a wrong token gets error="invalid_token" and the description.
    challenge = 'Bearer realm="bctrl-mcp"'
    error = "invalid_request"
    if "authorization" in Headers(scope=scope):
        error = "invalid_token"
        challenge += f', error="invalid_token", error_description="{HOW_TO_CONNECT}"'
    return JSONResponse(
        {"error": error, "error_description": HOW_TO_CONNECT},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def transport_security(options: ServerOptions) -> TransportSecuritySettings:
    """Accept only the loopback names, the bound address and the hosts the operator named.

    The SDK turns this protection on by itself only for a loopback bind, so it is always
    configured here: binding 0.0.0.0 must not mean accepting any ``Host``.
    """
    names = list(LOOPBACK_NAMES)
    if options.host not in _WILDCARDS:
        names.append(f"[{options.host}]" if ":" in options.host else options.host)
    hosts = [*names, *(f"{name}:*" for name in names)]  # a Host with no port is port 80
    origins = [f"http://{name}:*" for name in names]
    for host in options.allowed_hosts:
        hosts += [host, f"{host}:*"]
        origins += [
            f"{scheme}://{host}{port}" for scheme in ("http", "https") for port in ("", ":*")
        ]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def http_app(server: MCPServer[Operations], options: ServerOptions) -> ASGIApp:
    """The streamable HTTP app, behind the token gate when there is a token."""
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=options.path,
        # Stateless: any replica can answer any request, in one JSON response.
        stateless_http=options.stateless,
        json_response=options.stateless,
        transport_security=transport_security(options),
        host=options.host,
    )
    return BearerTokenGate(app, options.auth_token) if options.auth_token else app


_BACKLOG = 2048  # uvicorn's default


def listen(options: ServerOptions) -> socket.socket:
    """Bind the HTTP port first, so that a busy port is one clear line before any banner."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host.strip("[]"), options.port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {options.port} on {options.host} is already in use; choose another "
                "with --port (--port 0 picks a free one)."
            ) from None
        raise StartupError(
            f"cannot listen on {options.host}:{options.port}: {error.strerror or error}."
        ) from None
    # Listening now: a client that connects as soon as the banner appears waits in the
    # backlog until uvicorn accepts, instead of being refused.
    sock.listen(_BACKLOG)
    return sock


def serve_http(server: MCPServer[Operations], options: ServerOptions, sock: socket.socket) -> None:
    """Serve on the bound ``sock`` until interrupted (SIGINT or SIGTERM stop it cleanly)."""
    import uvicorn  # only the HTTP transport needs it

    from mcp_server.peer_limits import PeerLimits

    limits = PeerLimits.for_this_process()
    config = uvicorn.Config(
        http_app(server, options),
        host=options.host,
        port=options.port,
        log_config=None,  # uvicorn's loggers go to our stderr handler, never to stdout
        access_log=False,
        server_header=False,
        # Peers slow to send their headers are closed, and connections are capped.
        http=limits.protocol(),
    )
    mode = "stateless " if options.stateless else ""
    guarded = "bearer token required" if options.auth_token else "no auth token"
    port = sock.getsockname()[1]  # the real one, also for --port 0
    print(
        f"bctrl-mcp: serving {mode}streamable HTTP on "
        f"http://{options.host}:{port}{options.path} ({guarded})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.Server(config).run(sockets=[sock])
