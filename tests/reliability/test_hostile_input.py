"""Hostile tool arguments: whatever a model sends, only the three documented URLs are hit.

Hypothesis throws arbitrary payloads at every tool spec; each one either fails
validation with a message or reaches bctrl (mocked by respx) only as
``/v1/invocations/<one segment>``, ``.../cancel`` or ``.../wait``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import anyio
import httpx
import respx
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.ids import EXAMPLE_INVOCATION_ID
from bctrl_tools.operations import Operations
from bctrl_tools.spec import TOOL_SPECS, ToolInputError, ToolSpec
from tests.unit.conftest import load_record

BASE_URL = "https://api.bctrl.test"
ALLOWED = re.compile(
    r"^/v1/(?:invocations/(?P<segment>[^/]+)(?P<action>/cancel|/wait)?"
    r"|runs/(?P<run>[^/]+)/commands)$"
)
RECORD = load_record("cancelling")
ID_FIELDS = {"invocation_id", "invocation_ids", "run_id"}
SPECS = {spec.name: spec for spec in TOOL_SPECS}

ids = st.one_of(
    st.text(max_size=140),
    st.sampled_from(
        ["self", "SELF", ".", "..", "a/b", "%2e%2e", "a?b", "a#b", "\u200b", "x" * 129]
    ),
    st.uuids().map(str),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(), ids)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
well_formed = st.fixed_dictionaries(
    {"invocation_id": ids, "invocation_ids": st.lists(ids, min_size=1, max_size=4)},
    optional={"wait_seconds": st.integers(0, 2), "reason": st.text(max_size=20)},
)
anything = st.fixed_dictionaries(
    {},
    optional={
        "invocation_id": st.one_of(ids, values),
        "run_id": st.one_of(ids, values),
        "invocation_ids": st.one_of(st.lists(ids, max_size=4), values),
        "wait_seconds": st.one_of(st.integers(-5, 400), values),
        "reason": st.one_of(st.text(max_size=20), values),
        "extra": values,
    },
)
payloads = st.one_of(well_formed, anything)


def fitted(spec: ToolSpec[Any, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The payload less the id field this tool does not take (every other key stays)."""
    fields = spec.input_model.model_fields
    return {k: v for k, v in payload.items() if k in fields or k not in ID_FIELDS}


def check_request(request: httpx.Request) -> None:
    path, _, query = request.url.raw_path.decode("ascii").partition("?")
    match = ALLOWED.match(path)
    assert match, path
    segment = unquote(match["segment"] or match["run"])
    assert segment not in {".", ".."}
    assert "/" not in segment
    # Only a run listing has a query, and only its documented keys.
    keys = {pair.partition("=")[0] for pair in query.split("&") if pair}
    assert keys <= ({"limit", "status", "include", "cursor"} if match["run"] else set()), query
    expected_method = "GET" if match["action"] is None else "POST"
    assert request.method == expected_method


@contextmanager
def mocked_bctrl() -> Iterator[list[httpx.Request]]:
    """bctrl answering every request; yields the requests it received, to check afterwards.

    The check cannot run inside the side effect: the tools turn any exception, an
    AssertionError too, into an error result, and the test would pass regardless.
    """
    received: list[httpx.Request] = []

    def responder(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if request.url.path.endswith("/commands"):  # a run listing: one page
            return httpx.Response(200, json={"commands": [RECORD]})
        return httpx.Response(200, json=RECORD)

    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=responder)
        yield received


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(TOOL_SPECS), payload=payloads, own_id=st.one_of(st.none(), ids))
def test_any_payload_reaches_only_documented_urls(
    spec: ToolSpec[Any, Any], payload: dict[str, Any], own_id: str | None
) -> None:
    client_settings = ClientSettings(api_key="k", base_url=BASE_URL, max_retries=0)
    rails = Guardrails(self_invocation_id=own_id or None)
    ops = Operations(settings=client_settings, guardrails=rails)
    try:
        arguments = spec.parse(fitted(spec, payload))
    except ToolInputError as exc:
        refusal = str(exc)
        assert spec.name in refusal
        assert "Nothing was done" in refusal
        event("refused by the input model")
        return
    with mocked_bctrl() as received:
        result = spec.run(ops, arguments)
    ops.close()
    event("reached the API" if received else "refused before any request")
    for request in received:
        check_request(request)
    assert result.text
    if result.is_error:
        assert "Traceback" not in result.text


tool_names = st.one_of(st.sampled_from(list(SPECS)), st.text(max_size=12))
raw_arguments = st.one_of(payloads, st.dictionaries(st.text(max_size=8), values, max_size=4))
# Half the calls fit their tool, so that requests reach bctrl and their URLs are checked too.
fitting_calls = st.sampled_from(TOOL_SPECS).flatmap(
    lambda spec: well_formed.map(lambda payload: (spec.name, fitted(spec, payload)))
)
mcp_calls = st.one_of(st.tuples(tool_names, raw_arguments), fitting_calls)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(mcp_calls, min_size=1, max_size=12))
@example(  # always at least one session whose requests are checked
    calls=[
        ("cancel_invocations", {"invocation_ids": [EXAMPLE_INVOCATION_ID, "..", "a b"]}),
        ("get_invocation", {"invocation_id": "not-a-uuid"}),
        ("cancel_invocation", {"invocation_id": EXAMPLE_INVOCATION_ID, "wait_seconds": 1}),
    ]
)
def test_the_mcp_server_answers_every_malformed_call_and_stays_alive(
    calls: list[tuple[str, dict[str, Any]]],
) -> None:
    from mcp import Client

    from mcp_server import create_server

    client_settings = ClientSettings(api_key="k", base_url=BASE_URL, max_retries=0)
    server = create_server(settings=client_settings, guardrails=Guardrails())

    async def session() -> None:
        async with Client(server) as client:
            for name, arguments in calls:
                result = await client.call_tool(name, arguments)
                assert result.content, (name, arguments)
                if name not in SPECS:
                    assert result.is_error
            listed = await client.list_tools()  # still serving
            assert {tool.name for tool in listed.tools} == set(SPECS)

    with mocked_bctrl() as received:
        anyio.run(session)
    event("reached the API" if received else "no request")
    for request in received:
        check_request(request)
