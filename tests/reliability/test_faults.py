"""Faults against real sandbox processes: slow servers, dying servers, flaky servers."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from bctrl_tools import BctrlClient, BctrlTimeoutError, ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.outcomes import Outcome
from bctrl_tools.sandbox.process import SandboxProcess


def settings_for(sandbox: SandboxProcess, **fields: object) -> ClientSettings:
    base: dict[str, object] = {"api_key": sandbox.api_key, "base_url": sandbox.base_url}
    return ClientSettings.model_validate({**base, "backoff_base": 0.01, **fields})


def test_a_read_timeout_is_bounded_by_the_configured_timeout() -> None:
    with SandboxProcess(latency_ms=3000) as slow:
        invocation_id = str(uuid.uuid4())
        client = BctrlClient(settings=settings_for(slow, timeout=0.3, max_retries=1))
        started = time.monotonic()
        with pytest.raises(BctrlTimeoutError, match=r"0\.3 s"):
            client.get_invocation(invocation_id)
        elapsed = time.monotonic() - started
        client.close()
    # Two attempts of 0.3 s and a short back-off; far below the server's 3 s.
    assert elapsed < 2.0


def test_server_killed_mid_batch_fails_the_rest_and_keeps_the_done() -> None:
    sandbox = SandboxProcess(latency_ms=40, run_seconds=120).start()
    try:
        ids = sandbox.create_invocations(60)
        settings = settings_for(sandbox, timeout=2.0, max_retries=1)
        ops = Operations(settings=settings, guardrails=Guardrails(concurrency=2))
        threading.Timer(0.5, sandbox.kill).start()
        started = time.monotonic()
        batch = ops.cancel_many(ids)
        elapsed = time.monotonic() - started
        ops.close()
    finally:
        sandbox.stop()
    outcomes = [result.outcome for result in batch.results]
    assert len(outcomes) == 60
    assert Outcome.CANCEL_REQUESTED in outcomes
    assert Outcome.FAILED in outcomes
    assert set(outcomes) <= {Outcome.CANCEL_REQUESTED, Outcome.FAILED}
    failed = [r for r in batch.results if r.outcome is Outcome.FAILED]
    assert {r.error.code for r in failed if r.error} <= {"connection_error", "timeout"}
    assert all("Could not reach bctrl" in r.message or "Timed out" in r.message for r in failed)
    assert elapsed < 30


def test_a_flaky_server_still_gets_every_cancel() -> None:
    with SandboxProcess(fail_rate=0.3, run_seconds=120) as flaky:
        ids = flaky.create_invocations(30)
        ops = Operations(settings=settings_for(flaky, max_retries=8), guardrails=Guardrails())
        batch = ops.cancel_many(ids)
        ops.close()
    assert batch.counts == {"cancel_requested": 30}
