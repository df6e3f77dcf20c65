"""The sandbox's runs: `GET /v1/runs/{id}/commands`, stalled heartbeats, the seeded run."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from bctrl_tools.sandbox.process import SandboxProcess
from bctrl_tools.sandbox.store import InvocationStore
from tests.integration.helpers import TEST_API_KEY, poll_status

pytestmark = pytest.mark.integration

Create = Callable[..., dict[str, Any]]
HEAVY = ("request", "result", "error")


def _seconds_ago(timestamp: str) -> float:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    return time.time() - moment


def _list(api: httpx.Client, run_id: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/v1/runs/{run_id}/commands", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"commands", "nextCursor"}
    return body


def _run_of(create: Create, n: int, **options: Any) -> tuple[str, list[str]]:
    """`n` invocations in a fresh runtime, so in a run no other test touches."""
    runtime_id = str(uuid.uuid4())
    records = [create(runtime_id=runtime_id, **options) for _ in range(n)]
    return records[0]["runId"], [record["id"] for record in records]


def test_invocations_of_a_runtime_share_its_active_run(create: Create) -> None:
    run_id, ids = _run_of(create, 3)
    other_run, _ = _run_of(create, 1)
    assert str(uuid.UUID(run_id)) == run_id
    assert other_run != run_id
    assert len(set(ids)) == 3


def test_list_answers_records_in_sequence_order_without_heavy_fields(
    api: httpx.Client, create: Create
) -> None:
    run_id, ids = _run_of(create, 3)
    body = _list(api, run_id)
    assert [item["id"] for item in body["commands"]] == ids
    assert [item["sequenceNo"] for item in body["commands"]] == [1, 2, 3]
    assert body["nextCursor"] is None
    for item in body["commands"]:
        assert item["runId"] == run_id
        assert not set(HEAVY) & set(item)
        assert item["entryCall"] == "page.goto"
        assert item["status"] in {"queued", "dispatching", "running"}


def test_include_adds_the_heavy_fields_and_the_record_schema_holds(
    api: httpx.Client, create: Create, record_validator: Draft202012Validator
) -> None:
    run_id, _ = _run_of(create, 1, run_seconds=0.2, outcome="failed")
    time.sleep(0.3)
    everything = _list(api, run_id, include=list(HEAVY))["commands"][0]
    assert everything["status"] == "failed"
    assert everything["error"]["code"] == "invocation.failed"
    assert everything["result"]["ok"] is False
    assert list(record_validator.iter_errors(everything)) == []
    only_error = _list(api, run_id, include="error")["commands"][0]
    assert "error" in only_error
    assert "request" not in only_error
    assert "result" not in only_error


def test_cursor_pages_through_the_run_in_either_order(api: httpx.Client, create: Create) -> None:
    run_id, ids = _run_of(create, 5)
    for order, expected in (("asc", ids), ("desc", ids[::-1])):
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2, "order": order}
            if cursor is not None:
                params["cursor"] = cursor
            body = _list(api, run_id, **params)
            pages += 1
            seen += [item["id"] for item in body["commands"]]
            cursor = body["nextCursor"]
            if cursor is None:
                break
        assert seen == expected
        assert pages == 3


def test_a_last_full_page_has_no_cursor(api: httpx.Client, create: Create) -> None:
    run_id, _ = _run_of(create, 2)
    assert _list(api, run_id, limit=2)["nextCursor"] is None


def test_status_filter_takes_repeated_keys_and_commas(api: httpx.Client, create: Create) -> None:
    run_id, ids = _run_of(create, 3, run_seconds=30)
    api.post(f"/v1/invocations/{ids[1]}/cancel")
    poll_status(api, ids[2], "running")
    stopping = api.get(f"/v1/runs/{run_id}/commands?status=cancelling&status=cancelled").json()
    assert [item["id"] for item in stopping["commands"]] == [ids[1]]
    running = _list(api, run_id, status="running,queued,dispatching")
    assert [item["id"] for item in running["commands"]] == [ids[0], ids[2]]
    # A filter that skips items still pages by what matches.
    first = _list(api, run_id, status="running", limit=1)
    assert [item["id"] for item in first["commands"]] == [ids[0]]
    second = _list(api, run_id, status="running", limit=1, cursor=first["nextCursor"])
    assert [item["id"] for item in second["commands"]] == [ids[2]]
    assert second["nextCursor"] is None


def test_execution_mode_filter(api: httpx.Client, create: Create) -> None:
    run_id, ids = _run_of(create, 2)
    assert _list(api, run_id, executionMode="inline")["commands"] == []
    durable = _list(api, run_id, executionMode="durable")["commands"]
    assert [item["id"] for item in durable] == ids


def test_unknown_run_is_a_404_envelope(api: httpx.Client) -> None:
    response = api.get(f"/v1/runs/{uuid.uuid4()}/commands")
    assert response.status_code == 404
    assert response.json()["code"] == "run.not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("status=paused", "status"),
        ("order=sideways", "order"),
        ("order=asc&order=desc", "order"),
        ("executionMode=batch", "executionMode"),
        ("include=metadata", "include"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_query_is_400_naming_the_field(
    api: httpx.Client, create: Create, query: str, field: str
) -> None:
    run_id, _ = _run_of(create, 1)
    response = api.get(f"/v1/runs/{run_id}/commands?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "request.invalid"
    assert response.json()["details"] == {"field": field}


def test_a_large_limit_is_lowered_not_refused(api: httpx.Client, create: Create) -> None:
    run_id, _ = _run_of(create, 2)
    assert len(_list(api, run_id, limit=10_000)["commands"]) == 2


def test_stopped_heartbeat_freezes_while_the_invocation_keeps_running(
    api: httpx.Client, create: Create
) -> None:
    silent = create(run_seconds=30, heartbeat_stops_after_seconds=0)["id"]
    healthy = create(run_seconds=30)["id"]
    started = poll_status(api, silent, "running")["startedAt"]
    time.sleep(2.2)
    silent_record = api.get(f"/v1/invocations/{silent}").json()
    healthy_record = api.get(f"/v1/invocations/{healthy}").json()
    assert silent_record["status"] == "running"
    assert silent_record["lastHeartbeatAt"] == started
    assert _seconds_ago(healthy_record["lastHeartbeatAt"]) < 1.5


def test_invalid_heartbeat_option_is_400(api: httpx.Client) -> None:
    body = {"steps": [{"call": "page.goto"}], "heartbeatStopsAfterSeconds": -1}
    response = api.post(f"/v1/runtimes/{uuid.uuid4()}/invocations", json=body)
    assert response.status_code == 400
    assert response.json()["details"] == {"field": "heartbeatStopsAfterSeconds"}


def test_seed_makes_a_run_with_healthy_long_running_and_stalled_work() -> None:
    with SandboxProcess(api_key=TEST_API_KEY, seed=2) as sandbox, sandbox.http_client() as api:
        run_id = sandbox.seeded_run_id
        assert run_id is not None
        runaways = sandbox.seeded_runaway_ids
        assert set(runaways) == {"long-running", "stale-heartbeat"}
        items = {item["id"]: item for item in _list(api, run_id)["commands"]}
        assert set(items) == {*sandbox.seeded_ids, *runaways.values()}
        assert {items[i]["status"] for i in runaways.values()} == {"running"}
        assert {items[i]["status"] for i in sandbox.seeded_ids} <= {
            "queued",
            "dispatching",
            "running",
        }
        long_running = items[runaways["long-running"]]
        assert _seconds_ago(long_running["startedAt"]) > 19 * 60
        assert _seconds_ago(long_running["lastHeartbeatAt"]) < 5
        stale = items[runaways["stale-heartbeat"]]
        assert _seconds_ago(stale["lastHeartbeatAt"]) > 3 * 60
        for healthy in sandbox.seeded_ids:
            assert _seconds_ago(items[healthy]["createdAt"]) < 60


def test_a_database_from_before_runs_opens_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(_OLD_SCHEMA)
    old.execute(
        "INSERT INTO invocations VALUES ('i1', 'r1', 'rt', 's', 1, ?, NULL, NULL, NULL,"
        " 'succeeded', 0, 1, 2, 3, NULL, NULL, NULL)",
        ('{"runtimeId": "rt", "steps": [{"call": "page.goto"}]}',),
    )
    old.commit()
    old.close()
    store = InvocationStore.open(str(path))
    try:
        assert store.run_exists("r1")
        assert [inv.id for inv in store.in_run("r1", descending=False)] == ["i1"]
        assert store.in_run("r1", descending=False)[0].heartbeat_stop_ms is None
    finally:
        store.close()


_OLD_SCHEMA = """
CREATE TABLE invocations (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, runtime_id TEXT NOT NULL,
    space_id TEXT NOT NULL, sequence_no INTEGER NOT NULL, request_json TEXT NOT NULL,
    metadata_json TEXT, correlation_id TEXT, connector TEXT, outcome TEXT NOT NULL,
    created_ms INTEGER NOT NULL, dispatch_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL,
    ends_ms INTEGER NOT NULL, cancel_requested_ms INTEGER, cancelled_ms INTEGER,
    idempotency_key TEXT
);
"""
