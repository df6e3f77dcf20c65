"""Create invocations on a running sandbox over HTTP (tests, demos, benchmarks).

ids = create_invocations(base_url, api_key, 100, run_seconds=5)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

from bctrl_tools.sandbox.config import SANDBOX_RUNTIME_ID

DEFAULT_STEPS: tuple[Mapping[str, Any], ...] = (
    {"call": "page.goto", "args": ["https://example.com/search"], "bind": "search"},
    {"call": "page.fill", "args": ["input[name=q]", "runaway agents"]},
    {"call": "page.click", "args": ["button[type=submit]"]},
    {"call": "page.extract", "args": [{"selector": "ol.results"}]},
)
# Fault injection answers 503 before touching state, so retrying a create is safe;
# this lets helpers work against a sandbox started with a --fail-rate below 1.
_CREATE_ATTEMPTS = 50


def creation_body(
    *,
    steps: Sequence[Mapping[str, Any]] | None = None,
    run_seconds: float | None = None,
    outcome: str | None = None,
    idempotency_key: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    correlation_id: str | None = None,
    connector: str | None = None,
    space_id: str | None = None,
    heartbeat_stops_after_seconds: float | None = None,
) -> dict[str, Any]:
    """The JSON body of a create request, leaving out options that were not given."""
    optional = {
        "runSeconds": run_seconds,
        "outcome": outcome,
        "idempotencyKey": idempotency_key,
        "metadata": None if metadata is None else dict(metadata),
        "correlationId": correlation_id,
        "connector": connector,
        "spaceId": space_id,
        "heartbeatStopsAfterSeconds": heartbeat_stops_after_seconds,
    }
    body: dict[str, Any] = {"steps": [dict(step) for step in (steps or DEFAULT_STEPS)]}
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def create_invocation(
    base_url: str,
    api_key: str,
    *,
    runtime_id: str = SANDBOX_RUNTIME_ID,
    client: httpx.Client | None = None,
    **body_options: Any,
) -> dict[str, Any]:
    """POST one invocation (body options as for `creation_body`); returns the 202 record.

    `client` lets callers reuse a connection; it needs no base URL or auth of its own.
    """
    url = f"{base_url.rstrip('/')}/v1/runtimes/{runtime_id}/invocations"
    headers = {"Authorization": f"Bearer {api_key}"}
    body = creation_body(**body_options)
    with _client_or_new(client) as http:
        response = http.post(url, json=body, headers=headers)
        attempts = 1
        while response.status_code == 503 and attempts < _CREATE_ATTEMPTS:
            response = http.post(url, json=body, headers=headers)
            attempts += 1
    response.raise_for_status()
    record: dict[str, Any] = response.json()
    return record


def create_invocations(base_url: str, api_key: str, n: int, **options: Any) -> list[str]:
    """Create `n` invocations over one connection; returns their ids in creation order."""
    with _client_or_new(options.pop("client", None)) as http:
        return [
            str(create_invocation(base_url, api_key, client=http, **options)["id"])
            for _ in range(n)
        ]


@contextlib.contextmanager
def _client_or_new(client: httpx.Client | None) -> Iterator[httpx.Client]:
    """Use the caller's client as is, or open (and afterwards close) a fresh one."""
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=10.0) as owned:
        yield owned
