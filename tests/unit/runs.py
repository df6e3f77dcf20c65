"""Invocation records of one run at chosen ages, for the runaway and watchdog tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

from bctrl_tools.models import Invocation

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
RUN_ID = "7d0c5e1a-2b3c-4d5e-8f90-1a2b3c4d5e6f"


def iso_ago(seconds_ago: float, now: float = NOW) -> str:
    moment = now - seconds_ago
    whole = int(moment // 1)
    millis = round((moment - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def record_data(
    status: str = "running",
    *,
    invocation_id: str | None = None,
    created_ago: float = 600,
    started_ago: float | None = 590,
    heartbeat_ago: float | None = 1,
    step: int | None = 2,
    now: float = NOW,
    **extra: Any,
) -> dict[str, Any]:
    """A record as the list endpoint sends it (no request, result or error)."""
    data: dict[str, Any] = {
        "id": invocation_id or str(uuid.uuid4()),
        "status": status,
        "runId": RUN_ID,
        "runtimeId": "5a9d0b1e-5c3b-4d7e-9f3a-000000000002",
        "runtimeKind": "browser",
        "spaceId": "5a9d0b1e-5c3b-4d7e-9f3a-000000000001",
        "entryCall": "page.goto",
        "executionMode": "durable",
        "createdAt": iso_ago(created_ago, now),
        "sequenceNo": 1,
        "stepCount": 3,
        "artifactCount": 0,
        "startedAt": None if started_ago is None else iso_ago(started_ago, now),
        "lastHeartbeatAt": None if heartbeat_ago is None else iso_ago(heartbeat_ago, now),
        "progress": None
        if step is None
        else {"step": step, "totalSteps": 3, "currentCall": "page.click"},
    }
    data.update(extra)
    return data


def record(status: str = "running", **options: Any) -> Invocation:
    return Invocation.model_validate(record_data(status, **options))
