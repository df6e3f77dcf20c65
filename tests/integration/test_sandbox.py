"""The sandbox server, driven over real sockets in a real subprocess."""

from __future__ import annotations

import ast
import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from bctrl_tools.sandbox.process import SandboxProcess, SandboxStartError
from tests.integration.helpers import (
    GRACE_MS,
    ISO_MS_Z,
    TEST_API_KEY,
    TIMESTAMP_FIELDS,
    poll_status,
    wait_for,
)

pytestmark = pytest.mark.integration

STEPS: list[dict[str, Any]] = [
    {"call": "page.goto", "args": ["https://example.com"], "bind": "home"},
    {"call": "page.click", "args": ["text=More"], "options": {"timeoutMs": 5000}},
    {"call": "page.extract", "args": [{"selector": "h1"}], "ref": "home"},
]

Create = Callable[..., dict[str, Any]]


def _ms(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000


def _assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["error"], str)
    assert body["error"]
    assert body["requestId"].startswith("req_")
    assert response.headers["X-Request-Id"] == body["requestId"]
    assert isinstance(body["details"], dict)
    return body


# -- lifecycle ---------------------------------------------------------------------


def test_create_answers_202_with_a_queued_record(
    sandbox: SandboxProcess, api: httpx.Client
) -> None:
    runtime_id = str(uuid.uuid4())
    body = {"steps": STEPS, "metadata": {"ticket": "T-1"}, "correlationId": "corr-1"}
    response = api.post(f"/v1/runtimes/{runtime_id}/invocations", json=body)
    assert response.status_code == 202
    assert response.headers["X-Request-Id"].startswith("req_")
    record = response.json()
    assert record["status"] == "queued"
    assert record["runtimeId"] == runtime_id
    assert record["request"] == {"runtimeId": runtime_id, "steps": STEPS, "mode": "fail-fast"}
    assert record["entryCall"] == "page.goto"
    assert record["stepCount"] == 3
    assert record["sequenceNo"] == 1
    assert record["progress"]["step"] == 0
    assert record["progress"]["totalSteps"] == 3
    assert record["metadata"] == {"ticket": "T-1"}
    assert record["correlationId"] == "corr-1"
    assert record["startedAt"] is None
    second = api.post(f"/v1/runtimes/{runtime_id}/invocations", json=body).json()
    assert second["sequenceNo"] == 2


def test_invocation_runs_with_progress_then_succeeds(api: httpx.Client, create: Create) -> None:
    created = create(steps=STEPS, run_seconds=1.2)
    running = poll_status(api, created["id"], "running")
    assert running["startedAt"] is not None
    assert running["lastHeartbeatAt"] is not None
    assert 1 <= running["progress"]["step"] <= 3
    assert running["progress"]["lastEventType"] == "step.started"
    later = poll_status(api, created["id"], "running")
    assert later["progress"]["step"] >= running["progress"]["step"]

    done = wait_for(api, created["id"]).json()
    assert done["status"] == "succeeded"
    assert done["progress"] is None
    assert done["error"] is None
    assert done["artifactCount"] == 3
    assert done["durationMs"] > 0
    assert done["finishedAt"] is not None
    assert [step["ok"] for step in done["result"]["steps"]] == [True, True, True]
    assert done["result"]["steps"][0]["binding"]["alias"] == "home"


def test_failed_invocation_reports_the_failing_step(api: httpx.Client, create: Create) -> None:
    created = create(steps=STEPS, run_seconds=0.2, outcome="failed")
    done = wait_for(api, created["id"]).json()
    assert done["status"] == "failed"
    assert done["error"]["code"] == "invocation.failed"
    assert done["result"]["ok"] is False
    failed_step = done["result"]["steps"][-1]
    assert failed_step["ok"] is False
    assert failed_step["index"] == 2
    assert {"code", "message", "hint", "diagnostic"} <= failed_step["error"].keys()


def test_timed_out_invocation_carries_an_error(api: httpx.Client, create: Create) -> None:
    done = wait_for(api, create(run_seconds=0.2, outcome="timed_out")["id"]).json()
    assert done["status"] == "timed_out"
    assert done["error"]["code"] == "invocation.timed_out"
    assert done["result"] is None


# -- cancel --------------------------------------------------------------------------


def test_cancel_moves_to_cancelling_then_cancelled_after_grace(
    api: httpx.Client, create: Create
) -> None:
    created = create(run_seconds=30)
    poll_status(api, created["id"], "running")
    cancelling = api.post(f"/v1/invocations/{created['id']}/cancel", json={}).json()
    assert cancelling["status"] == "cancelling"
    assert cancelling["cancelRequestedAt"] is not None
    assert cancelling["progress"]["lastEventType"] == "invocation.cancel_requested"

    again = api.post(f"/v1/invocations/{created['id']}/cancel").json()
    assert again["status"] == "cancelling"
    assert again["cancelRequestedAt"] == cancelling["cancelRequestedAt"]

    cancelled = wait_for(api, created["id"]).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["error"]["code"] == "invocation.cancelled"
    assert cancelled["progress"] is None
    grace = _ms(cancelled["finishedAt"]) - _ms(cancelled["cancelRequestedAt"])
    assert grace == GRACE_MS


def test_cancel_of_a_queued_invocation_never_starts_it(api: httpx.Client, create: Create) -> None:
    created = create(run_seconds=30)
    cancelled = api.post(f"/v1/invocations/{created['id']}/cancel").json()
    assert cancelled["status"] == "cancelling"
    done = wait_for(api, created["id"]).json()
    assert done["status"] == "cancelled"
    assert done["startedAt"] is None
    assert done["lastHeartbeatAt"] is None


@pytest.mark.parametrize("outcome", ["succeeded", "failed", "timed_out"])
def test_cancel_of_a_finished_invocation_returns_it_unchanged(
    api: httpx.Client, create: Create, outcome: str
) -> None:
    done = wait_for(api, create(run_seconds=0.05, outcome=outcome)["id"]).json()
    assert done["status"] == outcome
    response = api.post(f"/v1/invocations/{done['id']}/cancel", json={})
    assert response.status_code == 200
    assert response.json() == done


def test_cancel_of_a_cancelled_invocation_returns_it_unchanged(
    api: httpx.Client, create: Create
) -> None:
    invocation_id = create(run_seconds=30)["id"]
    api.post(f"/v1/invocations/{invocation_id}/cancel")
    cancelled = wait_for(api, invocation_id).json()
    assert cancelled["status"] == "cancelled"
    assert api.post(f"/v1/invocations/{invocation_id}/cancel").json() == cancelled


async def test_concurrent_cancels_make_exactly_one_transition(
    sandbox: SandboxProcess, create: Create
) -> None:
    invocation_id = create(run_seconds=30)["id"]
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(
        base_url=sandbox.base_url, headers=sandbox.auth_headers, limits=limits
    ) as client:
        url = f"/v1/invocations/{invocation_id}/cancel"
        responses = await asyncio.gather(*(client.post(url, json={}) for _ in range(64)))
    assert {response.status_code for response in responses} == {200}
    records = [response.json() for response in responses]
    # On a loaded machine the last answers may come after the 300 ms grace has ended,
    # so "cancelled" is allowed; one transition means one cancelRequestedAt for all.
    assert {record["status"] for record in records} <= {"cancelling", "cancelled"}
    assert len({record["cancelRequestedAt"] for record in records}) == 1


# -- idempotency ---------------------------------------------------------------------


def test_idempotency_key_returns_the_existing_record(api: httpx.Client, create: Create) -> None:
    runtime_id = str(uuid.uuid4())
    first = create(runtime_id=runtime_id, idempotency_key="job-42")
    response = api.post(
        f"/v1/runtimes/{runtime_id}/invocations",
        json={"steps": [{"call": "page.reload"}], "idempotencyKey": "job-42"},
    )
    assert response.status_code == 202
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.json()["id"] == first["id"]
    assert response.json()["request"]["idempotencyKey"] == "job-42"
    elsewhere = create(runtime_id=str(uuid.uuid4()), idempotency_key="job-42")
    assert elsewhere["id"] != first["id"]


# -- error envelopes -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ""}])
def test_missing_or_wrong_api_key_is_401(sandbox: SandboxProcess, headers: dict[str, str]) -> None:
    response = httpx.get(f"{sandbox.base_url}/v1/invocations/{uuid.uuid4()}", headers=headers)
    _assert_envelope(response, 401, "auth.unauthorized")


def test_unknown_invocation_is_404(api: httpx.Client) -> None:
    missing = str(uuid.uuid4())
    for response in (
        api.get(f"/v1/invocations/{missing}"),
        api.post(f"/v1/invocations/{missing}/cancel", json={}),
        api.post(f"/v1/invocations/{missing}/wait", json={"timeoutMs": 10}),
    ):
        body = _assert_envelope(response, 404, "invocation.not_found")
        assert body["error"] == "Invocation not found"
        assert body["details"] == {"id": missing}


def test_bad_json_is_400(api: httpx.Client, create: Create) -> None:
    invocation_id = create()["id"]
    response = api.post(f"/v1/invocations/{invocation_id}/cancel", content=b"{not json")
    _assert_envelope(response, 400, "request.invalid")


@pytest.mark.parametrize(
    ("runtime_id", "body"),
    [
        ("not-a-uuid", {"steps": STEPS}),
        (None, {}),
        (None, {"steps": []}),
        (None, {"steps": [{"call": ""}]}),
        (None, {"steps": [{"args": []}]}),
        (None, {"steps": STEPS, "mode": "best-effort"}),
        (None, {"steps": STEPS, "outcome": "exploded"}),
        (None, {"steps": STEPS, "runSeconds": -1}),
        (None, {"steps": STEPS, "spaceId": "space-1"}),
        (None, [1, 2]),
    ],
)
def test_invalid_create_body_is_400(api: httpx.Client, runtime_id: str | None, body: Any) -> None:
    path = f"/v1/runtimes/{runtime_id or uuid.uuid4()}/invocations"
    _assert_envelope(api.post(path, json=body), 400, "request.invalid")


def test_unknown_route_answers_an_envelope(api: httpx.Client) -> None:
    _assert_envelope(api.get("/v1/nope"), 404, "route.not_found")


def test_healthz_needs_no_key(sandbox: SandboxProcess) -> None:
    response = httpx.get(f"{sandbox.base_url}/healthz")
    assert response.status_code == 200
    assert response.headers["X-Request-Id"].startswith("req_")


# -- wait ----------------------------------------------------------------------------


def test_wait_returns_as_soon_as_terminal(api: httpx.Client, create: Create) -> None:
    invocation_id = create(run_seconds=30)["id"]
    api.post(f"/v1/invocations/{invocation_id}/cancel")
    started = time.monotonic()
    record = wait_for(api, invocation_id, timeout_ms=10_000).json()
    elapsed = time.monotonic() - started
    assert record["status"] == "cancelled"
    assert elapsed < GRACE_MS / 1000 + 1.0


def test_wait_wakes_up_when_cancelled_meanwhile(
    sandbox: SandboxProcess, api: httpx.Client, create: Create
) -> None:
    invocation_id = create(run_seconds=30)["id"]

    async def wait_and_cancel() -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=sandbox.base_url, headers=sandbox.auth_headers
        ) as client:
            waiting = asyncio.ensure_future(
                client.post(f"/v1/invocations/{invocation_id}/wait", json={"timeoutMs": 10_000})
            )
            await asyncio.sleep(0.1)
            await client.post(f"/v1/invocations/{invocation_id}/cancel")
            record: dict[str, Any] = (await waiting).json()
            return record

    started = time.monotonic()
    record = asyncio.run(wait_and_cancel())
    assert record["status"] == "cancelled"
    assert time.monotonic() - started < 2.0


def test_wait_returns_the_live_record_at_timeout(api: httpx.Client, create: Create) -> None:
    invocation_id = create(run_seconds=30)["id"]
    started = time.monotonic()
    record = wait_for(api, invocation_id, timeout_ms=300).json()
    elapsed = time.monotonic() - started
    assert record["status"] in {"queued", "dispatching", "running"}
    assert 0.28 <= elapsed < 2.0


def test_wait_with_an_empty_body_uses_the_default_timeout(
    api: httpx.Client, create: Create
) -> None:
    invocation_id = create(run_seconds=0)["id"]
    response = api.post(f"/v1/invocations/{invocation_id}/wait")
    assert response.json()["status"] == "succeeded"


@pytest.mark.parametrize("timeout", [-1, 1.5, "100", True, None])
def test_wait_rejects_a_bad_timeout(api: httpx.Client, create: Create, timeout: object) -> None:
    invocation_id = create()["id"]
    response = api.post(f"/v1/invocations/{invocation_id}/wait", json={"timeoutMs": timeout})
    _assert_envelope(response, 400, "request.invalid")


# -- process options -----------------------------------------------------------------


def test_fail_rate_one_answers_503_envelopes() -> None:
    with SandboxProcess(api_key=TEST_API_KEY, fail_rate=1.0) as sandbox:
        with sandbox.http_client() as client:
            response = client.get(f"/v1/invocations/{uuid.uuid4()}")
            assert httpx.get(f"{sandbox.base_url}/healthz").status_code == 200
        _assert_envelope(response, 503, "service.unavailable")
        assert response.headers["Retry-After"] == "0"


def test_seed_prints_ids_of_running_invocations_and_sigterm_exits_cleanly() -> None:
    sandbox = SandboxProcess(api_key=TEST_API_KEY, seed=3, latency_ms=20).start()
    try:
        assert len(sandbox.seeded_ids) == 3
        with sandbox.http_client() as client:
            for invocation_id in sandbox.seeded_ids:
                assert str(uuid.UUID(invocation_id)) == invocation_id
                started = time.monotonic()
                record = client.get(f"/v1/invocations/{invocation_id}").json()
                assert time.monotonic() - started >= 0.02
                assert record["status"] in {"queued", "dispatching", "running"}
    finally:
        assert sandbox.stop() == 0


def test_start_failure_explains_itself(tmp_path: Path) -> None:
    unopenable = tmp_path / "missing-dir" / "sandbox.db"
    with pytest.raises(SandboxStartError, match="cannot open database"):
        SandboxProcess(db_path=unopenable, startup_timeout=10).start()


def test_state_survives_kill_9_and_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "sandbox.db"
    options: dict[str, Any] = {"api_key": TEST_API_KEY, "db_path": db_path}
    first = SandboxProcess(run_seconds=30, cancel_grace_ms=GRACE_MS, **options).start()
    try:
        long_id = first.create_invocation()["id"]
        short_id = first.create_invocation(run_seconds=0.5)["id"]
        cancelled_id = first.create_invocation()["id"]
        with first.http_client() as client:
            client.post(f"/v1/invocations/{cancelled_id}/cancel")
            before = {i: client.get(f"/v1/invocations/{i}").json() for i in (long_id, short_id)}
    finally:
        first.kill()

    with SandboxProcess(**options) as second, second.http_client() as client:
        # Nothing moved it on while no process ran, and the clock still drives it.
        long_record = poll_status(client, long_id, "running")
        assert long_record["createdAt"] == before[long_id]["createdAt"]
        assert wait_for(client, short_id).json()["status"] == "succeeded"
        assert wait_for(client, cancelled_id).json()["status"] == "cancelled"
        assert second.create_invocation()["sequenceNo"] == 4


# -- contract ------------------------------------------------------------------------


def _records_in_every_status(api: httpx.Client, create: Create) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    live = create(steps=STEPS, run_seconds=20, metadata={"k": "v"}, connector="langchain")
    records["queued"] = live
    records["dispatching"] = poll_status(api, live["id"], "dispatching")
    records["running"] = poll_status(api, live["id"], "running")
    records["cancelling"] = api.post(f"/v1/invocations/{live['id']}/cancel").json()
    records["cancelled"] = wait_for(api, live["id"]).json()
    for outcome in ("succeeded", "failed", "timed_out"):
        invocation = create(steps=STEPS, run_seconds=0.1, outcome=outcome, idempotency_key=None)
        records[outcome] = wait_for(api, invocation["id"]).json()
    return records


def test_every_status_matches_the_openapi_record_schema(
    api: httpx.Client,
    create: Create,
    record_validator: Draft202012Validator,
    record_schema: dict[str, Any],
) -> None:
    records = _records_in_every_status(api, create)
    for status, record in records.items():
        assert record["status"] == status
        errors = [error.message for error in record_validator.iter_errors(record)]
        assert errors == [], (status, errors)
        assert set(record_schema["properties"]) <= record.keys(), status
        for field in TIMESTAMP_FIELDS:
            assert record[field] is None or ISO_MS_Z.match(record[field]), (status, field)
        for field in ("id", "runId", "runtimeId", "spaceId"):
            assert str(uuid.UUID(record[field])) == record[field]
        assert record["executionMode"] == "durable"
        assert record["runtimeKind"] == "browser"
        assert record["entryCall"] == STEPS[0]["call"]
    assert records["running"]["progress"] is not None
    assert records["succeeded"]["result"]["ok"] is True
    assert records["cancelled"]["error"]["code"] == "invocation.cancelled"


def test_sandbox_imports_nothing_from_the_client_side() -> None:
    """The server is an independent implementation, so contract tests mean something."""
    package = Path(__file__).parents[2] / "bctrl_tools" / "sandbox"
    # Version, packaging and networking helpers: none knows anything of the API.
    allowed = (
        "bctrl_tools.sandbox",
        "bctrl_tools._version",
        "bctrl_tools._extras",
        "bctrl_tools._hosts",
    )
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "bctrl_tools":
                    assert name.startswith(allowed), f"{source.name} imports {name}"
