"""Small helpers shared by the integration tests."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from tests.conftest import SANDBOX_API_KEY as TEST_API_KEY
from tests.conftest import SANDBOX_GRACE_MS as GRACE_MS

__all__ = ["GRACE_MS", "TEST_API_KEY", "poll_status", "wait_for"]
ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TIMESTAMP_FIELDS = ("createdAt", "startedAt", "lastHeartbeatAt", "cancelRequestedAt", "finishedAt")


def poll_status(
    client: httpx.Client, invocation_id: str, wanted: str, timeout: float = 5.0
) -> dict[str, Any]:
    """GET the invocation every 10 ms until it has status `wanted`."""
    deadline = time.monotonic() + timeout
    while True:
        record: dict[str, Any] = client.get(f"/v1/invocations/{invocation_id}").json()
        if record["status"] == wanted or time.monotonic() > deadline:
            assert record["status"] == wanted, record
            return record
        time.sleep(0.01)


def wait_for(client: httpx.Client, invocation_id: str, timeout_ms: int = 10_000) -> httpx.Response:
    return client.post(f"/v1/invocations/{invocation_id}/wait", json={"timeoutMs": timeout_ms})
