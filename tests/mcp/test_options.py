"""bctrl-mcp's options, and the HTTP guards built from them (no sockets)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mcp_server.options import ServerOptions, StartupError, is_loopback, parse_options
from mcp_server.streamable_http import HOW_TO_CONNECT, BearerTokenGate, transport_security


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "mcp.example.com"])
def test_exposed_hosts(host: str) -> None:
    assert not is_loopback(host)


def test_defaults() -> None:
    options = parse_options([])
    assert (options.transport, options.host, options.port, options.path) == (
        "stdio", "127.0.0.1", 8000, "/mcp",
    )  # fmt: skip
    assert (options.read_only, options.dry_run, options.confirm) == (None, None, None)
    assert not options.stateless
    assert options.auth_token is None


def test_the_token_comes_from_the_environment_and_is_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BCTRL_MCP_AUTH_TOKEN", "s3cret-token")
    options = parse_options(["--transport", "streamable-http"])
    assert options.auth_token == "s3cret-token"
    assert "s3cret-token" not in repr(options)
    assert parse_options(["--auth-token", "other"]).auth_token == "other"


def test_switches_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCTRL_CONFIRM", "0")
    monkeypatch.setenv("BCTRL_DRY_RUN", "1")
    rails = parse_options(["--confirm", "--no-dry-run"]).guardrails()
    assert (rails.confirm, rails.dry_run) == (True, False)


def test_read_only_wins_from_either_side(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_options(["--read-only"]).guardrails().read_only is True
    monkeypatch.setenv("BCTRL_READ_ONLY", "1")
    assert parse_options([]).guardrails().read_only is True
    with pytest.raises(SystemExit):
        parse_options(["--no-read-only"])


def test_an_exposed_bind_needs_a_token() -> None:
    with pytest.raises(StartupError, match="BCTRL_MCP_AUTH_TOKEN"):
        ServerOptions(transport="streamable-http", host="0.0.0.0").check()
    ServerOptions(transport="streamable-http", host="0.0.0.0", auth_token="t").check()
    ServerOptions(transport="streamable-http", host="127.0.0.1").check()
    ServerOptions(transport="stdio", host="0.0.0.0").check()  # the host is unused over stdio


def test_the_path_must_be_absolute() -> None:
    with pytest.raises(StartupError, match="--path"):
        ServerOptions(path="mcp").check()


def test_allowed_hosts_are_loopback_the_bind_and_the_named() -> None:
    wildcard = transport_security(ServerOptions(host="0.0.0.0", auth_token="t"))
    assert wildcard.enable_dns_rebinding_protection
    loopback = ["127.0.0.1", "localhost", "[::1]"]
    assert wildcard.allowed_hosts == [*loopback, *(f"{name}:*" for name in loopback)]
    named = transport_security(
        ServerOptions(host="10.1.2.3", auth_token="t", allowed_hosts=("mcp.example.com",))
    )
    assert "10.1.2.3:*" in named.allowed_hosts
    assert {"mcp.example.com", "mcp.example.com:*"} <= set(named.allowed_hosts)
    assert "https://mcp.example.com" in named.allowed_origins


def gated(token: str) -> TestClient:
    app = Starlette(routes=[Route("/mcp", lambda request: PlainTextResponse("in"))])
    return TestClient(BearerTokenGate(app, token))


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", "Basic dG9rZW4=", "Bearer tok", "Bearer token2"],
)
def test_the_gate_refuses_without_the_token(authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = gated("token").get("/mcp", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="bctrl-mcp"')
    assert response.json()["error_description"] == HOW_TO_CONNECT


def test_the_refusal_says_how_to_connect_as_far_as_rfc_6750_allows() -> None:
    # No credentials at all: a bare challenge (RFC 6750 section 3.1), the how-to in the body.
    bare = gated("token").get("/mcp")
    assert bare.headers["www-authenticate"] == 'Bearer realm="bctrl-mcp"'
    assert bare.json() == {"error": "invalid_request", "error_description": HOW_TO_CONNECT}
    # A wrong token: error="invalid_token" and the same how-to as error_description.
    wrong = gated("token").get("/mcp", headers={"Authorization": "Bearer nope"})
    challenge = wrong.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{HOW_TO_CONNECT}"' in challenge
    assert "--header 'Authorization: Bearer <token>'" in HOW_TO_CONNECT
    # RFC 6750's error_description allows no double quote and no backslash.
    assert '"' not in HOW_TO_CONNECT
    assert "\\" not in HOW_TO_CONNECT


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server"]
)
def test_oauth_discovery_finds_no_metadata(path: str) -> None:
    response = gated("token").get(path)
    assert response.status_code == 404
    assert response.json()["error_description"] == HOW_TO_CONNECT


def test_the_refusal_never_echoes_the_token() -> None:
    response = gated("s3cr3t-gate-value").get("/mcp", headers={"Authorization": "Bearer s3cr3t"})
    assert "s3cr3t" not in response.text + str(response.headers)


@pytest.mark.parametrize("authorization", ["Bearer token", "bearer token", "Bearer  token "])
def test_the_gate_lets_the_token_through(authorization: str) -> None:
    response = gated("token").get("/mcp", headers={"Authorization": authorization})
    assert (response.status_code, response.text) == (200, "in")
