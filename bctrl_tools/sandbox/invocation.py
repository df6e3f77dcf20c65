"""The stored facts about one invocation, from which every public field is derived."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredInvocation:
    """One row of the store.

    Only the plan (when each phase starts and ends) and the cancel request are
    stored; the status at any instant is computed from them, so nothing needs a
    background task and a killed process loses nothing.
    """

    id: str
    run_id: str
    runtime_id: str
    space_id: str
    sequence_no: int
    request: JsonObject
    metadata: JsonObject | None
    correlation_id: str | None
    connector: str | None
    outcome: str
    created_ms: int
    dispatch_ms: int
    started_ms: int
    ends_ms: int
    cancel_requested_ms: int | None
    cancelled_ms: int | None
    # Sandbox-only fault: heartbeats stop at this instant while the work goes on "running".
    heartbeat_stop_ms: int | None = None

    @property
    def steps(self) -> list[JsonObject]:
        steps: list[JsonObject] = self.request["steps"]
        return steps

    @property
    def idempotency_key(self) -> str | None:
        key: str | None = self.request.get("idempotencyKey")
        return key
