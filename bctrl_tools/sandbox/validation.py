"""Parse and check request bodies; every problem becomes a 400 `request.invalid`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from bctrl_tools.sandbox.envelope import invalid
from bctrl_tools.sandbox.invocation import JsonObject
from bctrl_tools.sandbox.lifecycle import OUTCOMES

DEFAULT_WAIT_MS = 30_000
MAX_WAIT_MS = 300_000
MAX_RUN_SECONDS = 86_400.0


@dataclass(frozen=True)
class CreateRequest:
    """A checked create body. `request` is the echo stored in the record."""

    runtime_id: str
    request: JsonObject
    metadata: JsonObject | None
    correlation_id: str | None
    connector: str | None
    space_id: str | None
    run_seconds: float | None
    outcome: str
    heartbeat_stops_after_seconds: float | None = None


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body; an empty body counts as `{}`."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"Request body is not valid JSON: {exc}") from exc


def parse_uuid(value: object, field: str) -> str:
    """Canonical lowercase form of a UUID string."""
    if not isinstance(value, str):
        raise invalid(f"{field} must be a UUID string", field)
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise invalid(f"{field} must be a UUID, got {value!r}", field) from exc


def parse_create(runtime_id: str, body: Any) -> CreateRequest:
    body = _require_object(body, "body")
    request: JsonObject = {
        "runtimeId": parse_uuid(runtime_id, "runtimeId"),
        "steps": _steps(body.get("steps")),
        "mode": _mode(body.get("mode")),
    }
    key = _optional_str(body, "idempotencyKey")
    if key is not None:
        request["idempotencyKey"] = key
    space_id = body.get("spaceId")
    return CreateRequest(
        runtime_id=request["runtimeId"],
        request=request,
        metadata=_metadata(body.get("metadata")),
        correlation_id=_optional_str(body, "correlationId"),
        connector=_optional_str(body, "connector"),
        space_id=None if space_id is None else parse_uuid(space_id, "spaceId"),
        run_seconds=_seconds(body.get("runSeconds"), "runSeconds"),
        outcome=_outcome(body.get("outcome")),
        heartbeat_stops_after_seconds=_seconds(
            body.get("heartbeatStopsAfterSeconds"), "heartbeatStopsAfterSeconds"
        ),
    )


def parse_wait_timeout(body: Any) -> int:
    """`timeoutMs` in milliseconds, defaulted and capped; negatives are rejected."""
    body = _require_object(body, "body")
    value = body.get("timeoutMs", DEFAULT_WAIT_MS)
    if not _is_int(value) or value < 0:
        raise invalid("timeoutMs must be a non-negative integer", "timeoutMs")
    return min(int(value), MAX_WAIT_MS)


def _require_object(value: Any, field: str) -> JsonObject:
    if not isinstance(value, dict):
        raise invalid(f"{field} must be a JSON object", field)
    return value


def _is_int(value: object) -> bool:
    # bool is an int subclass in Python but not an integer in JSON.
    return isinstance(value, int) and not isinstance(value, bool)


def _optional_str(body: JsonObject, field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid(f"{field} must be a non-empty string", field)
    return value


def _steps(value: Any) -> list[JsonObject]:
    if not isinstance(value, list) or not value:
        raise invalid("steps must be a non-empty array", "steps")
    return [_step(item, f"steps[{index}]") for index, item in enumerate(value)]


def _step(value: Any, field: str) -> JsonObject:
    item = _require_object(value, field)
    call = item.get("call")
    if not isinstance(call, str) or not call.strip():
        raise invalid(f"{field}.call must be a non-empty string", f"{field}.call")
    step: JsonObject = {"call": call}
    if "args" in item:
        if not isinstance(item["args"], list):
            raise invalid(f"{field}.args must be an array", f"{field}.args")
        step["args"] = item["args"]
    for name in ("bind", "ref"):
        text = _optional_str(item, name) if name in item else None
        if text is not None:
            step[name] = text
    if item.get("options") is not None:
        step["options"] = _options(item["options"], f"{field}.options")
    return step


def _options(value: Any, field: str) -> JsonObject:
    options = _require_object(value, field)
    if "dryRun" in options and not isinstance(options["dryRun"], bool):
        raise invalid(f"{field}.dryRun must be a boolean", f"{field}.dryRun")
    if "timeoutMs" in options and not _is_int(options["timeoutMs"]):
        raise invalid(f"{field}.timeoutMs must be an integer", f"{field}.timeoutMs")
    return options


def _mode(value: Any) -> str:
    if value is None:
        return "fail-fast"
    if value != "fail-fast":
        raise invalid('mode must be "fail-fast"', "mode")
    return "fail-fast"


def _metadata(value: Any) -> JsonObject | None:
    return None if value is None else _require_object(value, "metadata")


def _seconds(value: Any, field: str) -> float | None:
    if value is None:
        return None
    valid = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not valid or not 0 <= value <= MAX_RUN_SECONDS:
        raise invalid(f"{field} must be a number from 0 to {MAX_RUN_SECONDS:g}", field)
    return float(value)


def _outcome(value: Any) -> str:
    if value is None:
        return "succeeded"
    if value not in OUTCOMES:
        raise invalid(f"outcome must be one of {', '.join(OUTCOMES)}", "outcome")
    return str(value)
