"""Every outcome and guardrail of the shared operations, against the real sandbox."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.models import Invocation
from bctrl_tools.operations import Operations, no_confirmation
from bctrl_tools.outcomes import CLOCK_SLACK, CancelOutcome, Outcome
from bctrl_tools.sandbox.process import SandboxProcess
from tests.integration.helpers import poll_status

LIVE = {"queued", "dispatching", "running"}
OTHER_SPACE = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def make_ops(sandbox_settings: ClientSettings) -> Iterator[Callable[..., Operations]]:
    made: list[Operations] = []

    def make(**rails: Any) -> Operations:
        ops = Operations(settings=sandbox_settings, guardrails=Guardrails(**rails))
        made.append(ops)
        return ops

    yield make
    for ops in made:
        ops.close()


@pytest.fixture(params=["sync", "async"])
def cancel(request: pytest.FixtureRequest) -> Callable[..., CancelOutcome]:
    """Cancel through the sync or the async driver: both run the same flow."""

    def run(ops: Operations, invocation_id: str, **kwargs: Any) -> CancelOutcome:
        if request.param == "sync":
            return ops.cancel(invocation_id, **kwargs)

        async def go() -> CancelOutcome:
            try:
                confirm = kwargs.pop("confirm", None)
                if confirm is not None:
                    answer: Callable[[str, Invocation | None], str | None] = confirm

                    async def confirm_async(i: str, inv: Invocation | None) -> str | None:
                        return answer(i, inv)

                    kwargs["confirm"] = confirm_async
                return await ops.acancel(invocation_id, **kwargs)
            finally:
                await ops.aclose()

        return asyncio.run(go())

    return run


def live(sandbox: SandboxProcess, **options: Any) -> str:
    return str(sandbox.create_invocation(run_seconds=60, **options)["id"])


def status_of(sandbox: SandboxProcess, invocation_id: str) -> str:
    with sandbox.http_client() as http:
        return str(http.get(f"/v1/invocations/{invocation_id}").json()["status"])


def test_cancel_requested_then_cancelled(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    invocation_id = live(sandbox)
    result = cancel(make_ops(), invocation_id, reason="looping")
    assert result.outcome is Outcome.CANCEL_REQUESTED
    assert result.status == "cancelling"
    assert result.record is not None
    assert result.record["cancelRequestedAt"]
    assert invocation_id in result.message
    assert "step" in result.message  # what it was doing
    with sandbox.http_client() as http:  # and the request took: it reaches cancelled
        record = poll_status(http, invocation_id, "cancelled", timeout=5.0)
    assert record["cancelRequestedAt"] == result.record["cancelRequestedAt"]


def test_wait_seconds_reports_cancelled(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    result = cancel(make_ops(), live(sandbox), wait_seconds=5)
    assert result.outcome is Outcome.CANCELLED
    assert result.status == "cancelled"


def test_cancel_of_a_finished_one_is_already_finished(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    invocation_id = str(sandbox.create_invocation(run_seconds=0.05)["id"])
    with sandbox.http_client() as http:
        http.post(f"/v1/invocations/{invocation_id}/wait", json={"timeoutMs": 5000})
    result = cancel(make_ops(), invocation_id)
    assert result.outcome is Outcome.ALREADY_FINISHED
    assert result.status == "succeeded"
    assert not result.outcome.is_error


def test_repeating_a_cancel_is_safe(sandbox: SandboxProcess, make_ops: Any, cancel: Any) -> None:
    ops = make_ops()
    invocation_id = live(sandbox)
    first = cancel(ops, invocation_id)
    second = cancel(ops, invocation_id)
    assert first.outcome is Outcome.CANCEL_REQUESTED
    assert second.outcome in {Outcome.CANCEL_REQUESTED, Outcome.CANCELLED}  # grace or not
    assert first.record is not None
    assert second.record is not None
    assert first.record["cancelRequestedAt"] == second.record["cancelRequestedAt"]


def test_a_repeat_cancel_of_a_cancelled_one_is_already_finished(
    sandbox: SandboxProcess, make_ops: Any
) -> None:
    # The server's Date counts whole seconds, and uvicorn refreshes it about once a
    # second (later on a busy machine): well past the slack, an earlier cancel is told
    # apart from this one by the server's own clock. The boundary itself is unit-tested.
    ops = make_ops()
    invocation_id = live(sandbox)
    assert ops.cancel(invocation_id, wait_seconds=5).outcome is Outcome.CANCELLED
    time.sleep(CLOCK_SLACK + 2.5)
    again = ops.cancel(invocation_id)
    assert again.outcome is Outcome.ALREADY_FINISHED, again.message
    assert "had already finished (cancelled)" in again.message


def test_unknown_id_is_not_found(make_ops: Any, cancel: Any) -> None:
    result = cancel(make_ops(), str(uuid.uuid4()))
    assert result.outcome is Outcome.NOT_FOUND
    assert result.error is not None
    assert result.error.code == "invocation.not_found"
    assert result.error.request_id
    assert "visible to this API key" in result.message


def test_a_bad_id_fails_without_a_request(make_ops: Any, cancel: Any) -> None:
    ops = make_ops()
    result = cancel(ops, "../admin")
    assert result.outcome is Outcome.FAILED
    assert result.error is not None
    assert result.error.code == "invalid_invocation_id"
    assert "UUID" in result.message
    assert ops.budget.spent == 0


def test_self_resolves_to_the_agents_own_invocation(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    own = live(sandbox)
    result = cancel(make_ops(self_invocation_id=own), "self")
    assert result.invocation_id == own
    assert result.outcome is Outcome.CANCEL_REQUESTED


def test_self_without_bctrl_invocation_id_is_a_clear_error(make_ops: Any, cancel: Any) -> None:
    result = cancel(make_ops(), "self")
    assert result.outcome is Outcome.FAILED
    assert "BCTRL_INVOCATION_ID" in result.message


def test_read_only_refuses_and_sends_nothing(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    invocation_id = live(sandbox)
    result = cancel(make_ops(read_only=True), invocation_id)
    assert result.outcome is Outcome.REFUSED
    assert "(read_only=True was set in code)" in result.message  # what switched it on
    assert status_of(sandbox, invocation_id) in LIVE


def test_dry_run_reports_and_sends_nothing(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    invocation_id = live(sandbox)
    result = cancel(make_ops(dry_run=True), invocation_id)
    assert result.outcome is Outcome.DRY_RUN
    assert result.status in LIVE
    assert "would be cancelled" in result.message
    assert status_of(sandbox, invocation_id) in LIVE


def test_space_scope(sandbox: SandboxProcess, make_ops: Any, cancel: Any) -> None:
    inside = live(sandbox)
    outside = live(sandbox, space_id=OTHER_SPACE)
    home = sandbox.create_invocation(run_seconds=60)["spaceId"]
    ops = make_ops(allowed_space_ids=frozenset({home}))
    refused = cancel(ops, outside)
    assert refused.outcome is Outcome.REFUSED
    assert OTHER_SPACE in refused.message
    assert "BCTRL_ALLOWED_SPACE_IDS" in refused.message
    assert status_of(sandbox, outside) in LIVE
    assert cancel(ops, inside).outcome is Outcome.CANCEL_REQUESTED


def test_budget_stops_a_runaway_supervisor(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    ops = make_ops(max_cancels=1)
    first, second = live(sandbox), live(sandbox)
    assert cancel(ops, first).outcome is Outcome.CANCEL_REQUESTED
    refused = cancel(ops, second)
    assert refused.outcome is Outcome.REFUSED
    assert "budget" in refused.message
    assert "BCTRL_MAX_CANCELS" in refused.message
    assert status_of(sandbox, second) in LIVE


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(None, Outcome.CANCEL_REQUESTED), ("The user declined.", Outcome.REFUSED)],
)
def test_confirmation(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any, answer: str | None, expected: Outcome
) -> None:
    asked: list[str] = []

    def confirm(invocation_id: str, invocation: Invocation | None) -> str | None:
        assert invocation is not None
        assert not invocation.is_terminal
        asked.append(invocation_id)
        return answer

    invocation_id = live(sandbox)
    result = cancel(make_ops(confirm=True), invocation_id, confirm=confirm)
    assert asked == [invocation_id]
    assert result.outcome is expected
    if answer:
        assert result.message == answer
        assert status_of(sandbox, invocation_id) in LIVE


def test_confirmation_required_without_a_way_to_ask(
    sandbox: SandboxProcess, make_ops: Any, cancel: Any
) -> None:
    invocation_id = live(sandbox)
    result = cancel(make_ops(confirm=True), invocation_id)
    assert result.outcome is Outcome.REFUSED
    assert result.message == no_confirmation("confirm=True was set in code")
    assert status_of(sandbox, invocation_id) in LIVE


def test_server_down_is_failed_not_raised(make_ops: Any, cancel: Any) -> None:
    settings = ClientSettings(
        api_key="k", base_url="http://127.0.0.1:9", max_retries=1, backoff_base=0.01
    )
    ops = Operations(settings=settings, guardrails=Guardrails())
    result = cancel(ops, str(uuid.uuid4()))
    assert result.outcome is Outcome.FAILED
    assert result.error is not None
    assert result.error.code == "connection_error"
    assert "Could not reach bctrl" in result.message


# --- batches --------------------------------------------------------------------------


def test_batch_outcomes_and_summary(sandbox: SandboxProcess, make_ops: Any, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    own = live(sandbox)
    siblings = [live(sandbox) for _ in range(5)]
    finished = str(sandbox.create_invocation(run_seconds=0.01)["id"])
    missing = str(uuid.uuid4())
    ops = make_ops(self_invocation_id=own, concurrency=4, audit_log=audit)
    with sandbox.http_client() as http:
        http.post(f"/v1/invocations/{finished}/wait", json={"timeoutMs": 5000})
    ids = ["self", *siblings, siblings[0], own, finished, missing, "a/b"]
    seen: list[str] = []
    batch = ops.cancel_many(
        ids, reason="budget exceeded", on_result=lambda r: seen.append(r.invocation_id)
    )
    outcomes = {result.invocation_id: result.outcome for result in batch.results}
    assert len(batch.results) == 9  # duplicates, and "self" next to its own id, dropped
    assert outcomes[own] is Outcome.CANCEL_REQUESTED
    assert all(outcomes[i] is Outcome.CANCEL_REQUESTED for i in siblings)
    assert outcomes[finished] is Outcome.ALREADY_FINISHED
    assert outcomes[missing] is Outcome.NOT_FOUND
    assert outcomes["a/b"] is Outcome.FAILED
    assert batch.counts == {
        "cancel_requested": 6,
        "already_finished": 1,
        "not_found": 1,
        "failed": 1,
    }
    assert (
        batch.summary
        == "9 invocations: 6 cancel requested, 1 already finished, 1 not found, 1 failed."
    )
    assert seen[-1] == own  # its own invocation last
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    own_request = next(i for i, line in enumerate(lines) if line["invocation_id"] == own)
    sibling_results = [
        i
        for i, line in enumerate(lines)
        if line["event"] == "result" and line["invocation_id"] != own
    ]
    assert own_request > max(sibling_results)
    assert {line["reason"] for line in lines} == {"budget exceeded"}


def test_async_batch_reports_each_item(sandbox: SandboxProcess, make_ops: Any) -> None:
    ids = [live(sandbox) for _ in range(6)]
    ops = make_ops(concurrency=3)
    seen: list[str] = []

    async def on_result(result: CancelOutcome) -> None:
        seen.append(result.outcome.value)

    async def go() -> Any:
        try:
            return await ops.acancel_many(ids, wait_seconds=3, on_result=on_result)
        finally:
            await ops.aclose()

    batch = asyncio.run(go())
    assert batch.counts == {"cancelled": 6}
    assert seen == ["cancelled"] * 6


def test_a_batch_of_bad_size_is_refused(make_ops: Any) -> None:
    with pytest.raises(ValueError, match="1 to 500"):
        make_ops().cancel_many([])


# --- get ------------------------------------------------------------------------------


def test_get_reports_what_a_supervisor_needs(sandbox: SandboxProcess, make_ops: Any) -> None:
    invocation_id = live(sandbox)
    report = make_ops().get(invocation_id)
    assert report.invocation_id == invocation_id
    assert report.status in {"queued", "dispatching", "running"}
    assert report.space_id
    assert report.record is not None
    assert report.record["id"] == invocation_id
    assert invocation_id in report.message
    assert not report.is_terminal


# --- audit ----------------------------------------------------------------------------


AUDIT_FIELDS = {
    "time",
    "face",
    "event",
    "invocation_id",
    "space_id",
    "outcome",
    "status",
    "request_id",
    "reason",
}
# outcome, guardrails, which invocation, cancel arguments, the audit events expected:
# "request" just before a cancel is sent, "result" once the decision is made.
DECISIONS = [
    ("cancel_requested", {}, "live", {}, ["request", "result"]),
    ("cancelled", {}, "live", {"wait_seconds": 5}, ["request", "result"]),
    ("already_finished", {}, "finished", {}, ["request", "result"]),
    ("not_found", {}, "missing", {}, ["request", "result"]),
    ("refused", {"allowed_space_ids": frozenset({OTHER_SPACE})}, "live", {}, ["result"]),
    ("dry_run", {"dry_run": True}, "live", {}, ["result"]),
    ("failed", {}, "a/b", {}, ["result"]),  # a bad id: nothing to send
    ("failed", {}, "unreachable", {}, ["request", "result"]),  # sent, and the network failed
]


def target(sandbox: SandboxProcess, which: str) -> str:
    if which == "live":
        return live(sandbox)
    if which == "finished":
        invocation_id = str(sandbox.create_invocation(run_seconds=0.01)["id"])
        with sandbox.http_client() as http:
            poll_status(http, invocation_id, "succeeded")
        return invocation_id
    return str(uuid.uuid4()) if which in {"missing", "unreachable"} else which


@pytest.mark.parametrize(
    ("outcome", "rails", "which", "options", "events"),
    DECISIONS,
    ids=[f"{outcome}-{which}" for outcome, _, which, _, _ in DECISIONS],
)
def test_every_decision_is_one_audit_line(
    sandbox: SandboxProcess,
    sandbox_settings: ClientSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    outcome: str,
    rails: dict[str, Any],
    which: str,
    options: dict[str, Any],
    events: list[str],
) -> None:
    caplog.set_level("INFO", logger="bctrl_tools.audit")
    audit = tmp_path / "audit.jsonl"
    invocation_id = target(sandbox, which)
    settings = sandbox_settings
    if which == "unreachable":
        settings = ClientSettings(
            api_key=sandbox.api_key, base_url="http://127.0.0.1:9", max_retries=0
        )
    ops = Operations(settings=settings, guardrails=Guardrails(audit_log=audit, **rails))
    try:
        result = ops.cancel(invocation_id, reason="checking", **options)
    finally:
        ops.close()
    assert result.outcome.value == outcome
    lines = [json.loads(text) for text in audit.read_text().splitlines()]
    assert [line["event"] for line in lines] == events
    assert all(set(line) == AUDIT_FIELDS for line in lines)
    assert {(line["face"], line["invocation_id"], line["reason"]) for line in lines} == {
        ("sdk", invocation_id, "checking")
    }
    *_, last = lines
    assert (last["outcome"], last["status"]) == (outcome, result.status)
    assert (last["space_id"], last["request_id"]) == (result.space_id, result.request_id)
    assert [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "bctrl_tools.audit"
    ] == lines
    assert sandbox.api_key not in audit.read_text()
