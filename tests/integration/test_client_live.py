"""The clients over real sockets against the sandbox: records, errors, retries, secrets."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from bctrl_tools import (
    AsyncBctrlClient,
    AuthenticationError,
    BctrlClient,
    BctrlConnectionError,
    ClientSettings,
    Invocation,
    NotFoundError,
    ServerError,
)
from bctrl_tools.sandbox.process import SandboxProcess


def client_for(sandbox: SandboxProcess, **changes: object) -> BctrlClient:
    fields: dict[str, object] = {"api_key": sandbox.api_key, "base_url": sandbox.base_url}
    settings = ClientSettings.model_validate({**fields, "backoff_base": 0.01, **changes})
    return BctrlClient(settings=settings)


def test_cancel_then_wait_until_cancelled(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation(run_seconds=30)["id"]
    with client_for(sandbox) as client:
        before = client.get_invocation(invocation_id)
        cancelling = client.cancel_invocation(invocation_id)
        after = client.wait_for_invocation(invocation_id, timeout_ms=5_000)
    assert not before.is_terminal
    assert cancelling.status == "cancelling"
    assert cancelling.cancel_requested_at
    assert after.status == "cancelled"
    assert after.is_terminal


def test_records_round_trip_exactly(sandbox: SandboxProcess) -> None:
    record = sandbox.create_invocation(run_seconds=30)
    with client_for(sandbox) as client:
        invocation = client.get_invocation(record["id"])
    with sandbox.http_client() as http:
        raw = http.get(f"/v1/invocations/{record['id']}").json()
    assert Invocation.model_validate(raw).to_json_dict() == raw
    assert set(invocation.to_json_dict()) == set(raw)


def test_async_client_does_the_same(sandbox: SandboxProcess) -> None:
    invocation_id = sandbox.create_invocation(run_seconds=30)["id"]

    async def go() -> Invocation:
        settings = ClientSettings(api_key=sandbox.api_key, base_url=sandbox.base_url)
        async with AsyncBctrlClient(settings=settings) as client:
            await client.cancel_invocation(invocation_id)
            return await client.wait_for_invocation(invocation_id, timeout_ms=5_000)

    assert asyncio.run(go()).status == "cancelled"


def test_env_configuration_with_v1_suffix(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("BCTRL_BASE_URL", sandbox.base_url + "/v1/")
    invocation_id = sandbox.create_invocation(run_seconds=30)["id"]
    with BctrlClient() as client:
        assert client.get_invocation(invocation_id).id == invocation_id


def test_wrong_key_and_unknown_id(sandbox: SandboxProcess) -> None:
    with (
        client_for(sandbox, api_key="wrong") as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.get_invocation(str(uuid.uuid4()))
    assert "BCTRL_API_KEY" in str(caught.value)
    assert caught.value.request_id
    with client_for(sandbox) as client, pytest.raises(NotFoundError) as missing:
        client.cancel_invocation(str(uuid.uuid4()))
    assert missing.value.code == "invocation.not_found"


def test_server_down_is_a_connection_error() -> None:
    settings = ClientSettings(
        api_key="k", base_url="http://127.0.0.1:9", max_retries=1, backoff_base=0.01
    )
    with BctrlClient(settings=settings) as client, pytest.raises(BctrlConnectionError):
        client.get_invocation(str(uuid.uuid4()))


def test_retries_ride_out_a_flaky_server() -> None:
    with SandboxProcess(fail_rate=0.3) as flaky:
        ids = flaky.create_invocations(10, run_seconds=30)
        # 30% of answers fail: with 10 retries a lost cancel is a 1-in-50,000 event, and
        # 30 unretried reads all succeeding is a 1-in-40,000 one.
        with client_for(flaky, max_retries=10) as client:
            assert all(client.cancel_invocation(i).status == "cancelling" for i in ids)
        with client_for(flaky, max_retries=0) as client:
            failures = 0
            for invocation_id in ids * 3:
                try:
                    client.get_invocation(invocation_id)
                except ServerError:
                    failures += 1
            assert failures > 0


def test_no_log_record_at_any_level_holds_the_key(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore included
    invocation_id = sandbox.create_invocation(run_seconds=30)["id"]
    with client_for(sandbox) as client:
        client.cancel_invocation(invocation_id)
        with pytest.raises(NotFoundError):
            client.get_invocation(str(uuid.uuid4()))
    names = {record.name for record in caplog.records}
    assert {"httpx", "httpcore.http11", "bctrl_tools"} <= names
    assert sandbox.api_key not in caplog.text
    for record in caplog.records:
        assert sandbox.api_key not in repr(record.args)
