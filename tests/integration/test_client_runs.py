"""Both clients list a run's invocations from the real sandbox, over real sockets."""

from __future__ import annotations

import uuid

import httpx
import pytest

from bctrl_tools import AsyncBctrlClient, BctrlClient, ClientSettings
from bctrl_tools.sandbox.process import SandboxProcess
from tests.integration.helpers import poll_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def big_run(sandbox: SandboxProcess) -> tuple[str, list[str]]:
    """A run of 130 invocations (more than the sandbox's 100 per page); the second cancelled."""
    runtime_id = str(uuid.uuid4())
    with httpx.Client(timeout=10.0) as http:
        ids = sandbox.create_invocations(130, runtime_id=runtime_id, client=http)
    with sandbox.http_client() as api:
        run_id: str = api.get(f"/v1/invocations/{ids[0]}").json()["runId"]
        api.post(f"/v1/invocations/{ids[1]}/cancel")
        poll_status(api, ids[1], "cancelled")
    return run_id, ids


def test_every_page_in_order_and_the_one_page_call(
    sandbox_settings: ClientSettings, big_run: tuple[str, list[str]]
) -> None:
    run_id, ids = big_run
    with BctrlClient(settings=sandbox_settings) as client:
        every = list(client.list_run_invocations(run_id, status=None))
        page = client.list_run_invocations_page(run_id, limit=100)
        rest = client.list_run_invocations_page(run_id, limit=100, cursor=page.next_cursor)
    assert [invocation.id for invocation in every] == ids
    assert len(page.items) == 100
    assert page.next_cursor is not None
    assert [i.id for i in page.items + rest.items] == ids
    assert rest.next_cursor is None
    assert every[0].request is None  # heavy fields only when included


async def test_status_limit_and_include_over_the_async_client(
    sandbox_settings: ClientSettings, big_run: tuple[str, list[str]]
) -> None:
    run_id, ids = big_run
    async with AsyncBctrlClient(settings=sandbox_settings) as client:
        cancelled = [i async for i in client.list_run_invocations(run_id, status=["cancelled"])]
        first = [i async for i in client.list_run_invocations(run_id, limit=3, include=["request"])]
    assert [i.id for i in cancelled] == [ids[1]]
    assert cancelled[0].error is None
    assert [i.id for i in first] == ids[:3]
    assert all(i.request is not None for i in first)
