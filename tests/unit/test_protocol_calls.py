"""The protocol is generic: a call declares its response model and how to name itself."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel

from bctrl_tools import ClientSettings
from bctrl_tools._protocol import Call, Protocol
from bctrl_tools.errors import InvalidResponseError, NotFoundError
from tests.unit.conftest import BASE_URL, CANARY_KEY


class RunPage(BaseModel):
    items: list[str]


def protocol() -> Protocol:
    return Protocol(ClientSettings(api_key=CANARY_KEY, base_url=BASE_URL))


def list_runs() -> Call[RunPage]:
    return Call("GET", "/v1/runs", "list", "run", RunPage)


def get_run(run_id: str) -> Call[RunPage]:
    return Call("GET", f"/v1/runs/{run_id}", "read", "run", RunPage, run_id)


def test_a_call_is_parsed_into_its_own_model() -> None:
    response = httpx.Response(200, json={"items": ["a", "b"]})
    page = protocol().parse(list_runs(), response)
    assert isinstance(page, RunPage)
    assert page.items == ["a", "b"]


def test_a_404_names_what_was_asked_for() -> None:
    response = httpx.Response(404, json={"error": {"message": "gone", "code": "not_found"}})
    error = protocol().api_error(get_run("r-1"), response)
    assert isinstance(error, NotFoundError)
    assert str(error).startswith("Could not read run 'r-1' (HTTP 404")
    assert "No such run is visible" in str(error)
    assert "invocation" not in str(error)


def test_an_unreadable_body_names_the_resource() -> None:
    with pytest.raises(InvalidResponseError) as caught:
        protocol().parse(list_runs(), httpx.Response(200, json={"items": 3}))
    assert "did not match the run schema" in str(caught.value)
    assert "run record could not be read" in str(caught.value)


def test_a_call_without_a_target_names_the_collection() -> None:
    assert list_runs().describe() == "list runs"
    assert get_run("r-1").describe() == "read run 'r-1'"
