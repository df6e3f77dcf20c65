"""The `result` and `error` parts of a finished invocation record.

Runtime-side ids (pages, contexts, handles) are derived from the invocation id
with uuid5, so every read of the same invocation shows the same ids.
"""

from __future__ import annotations

import uuid

from bctrl_tools.sandbox.clock import iso_ms
from bctrl_tools.sandbox.invocation import JsonObject, StoredInvocation
from bctrl_tools.sandbox.lifecycle import completed_steps, finished_ms

_ID_NAMESPACE = uuid.UUID("0f6c2a4e-8d1b-4b7a-9c3e-5b1d2a7f9e10")
_FAILED_STEP_CODE = "DRIVER_NOT_CONNECTED"
_DOCS_BASE = "https://platform.bctrl.ai/docs/errors"


def result_for(inv: StoredInvocation, status: str) -> JsonObject | None:
    """Step results of a succeeded or failed run; other statuses have none."""
    if status not in ("succeeded", "failed"):
        return None
    done = completed_steps(inv, inv.ends_ms)
    steps = [_ok_step(inv, index) for index in range(done)]
    if status == "failed":
        steps.append(_failed_step(inv, done))
    return {
        "mode": inv.request.get("mode", "fail-fast"),
        "ok": status == "succeeded",
        "runtimeId": inv.runtime_id,
        "steps": steps,
    }


def error_for(inv: StoredInvocation, status: str) -> JsonObject | None:
    if status == "cancelled":
        return _cancelled_error(inv)
    if status == "failed":
        return _failed_error(inv)
    if status == "timed_out":
        return _timed_out_error(inv)
    return None


def _cancelled_error(inv: StoredInvocation) -> JsonObject:
    requested = inv.cancel_requested_ms if inv.cancel_requested_ms is not None else inv.ends_ms
    return {
        "code": "invocation.cancelled",
        "message": "Invocation was cancelled by an API request",
        "details": {
            "cancelRequestedAt": iso_ms(requested),
            "graceMs": finished_ms(inv) - requested,
        },
    }


def _failed_error(inv: StoredInvocation) -> JsonObject:
    index = len(inv.steps) - 1
    call = inv.steps[index]["call"]
    return {
        "code": "invocation.failed",
        "message": f"Step {index + 1} ({call}) failed: the browser driver disconnected",
        "details": {"stepIndex": index, "call": call, "stepErrorCode": _FAILED_STEP_CODE},
    }


def _timed_out_error(inv: StoredInvocation) -> JsonObject:
    budget_ms = inv.ends_ms - inv.created_ms
    return {
        "code": "invocation.timed_out",
        "message": f"Invocation exceeded its time budget of {budget_ms} ms",
        "details": {"timeoutMs": budget_ms},
    }


def _ok_step(inv: StoredInvocation, index: int) -> JsonObject:
    step = inv.steps[index]
    return {
        "index": index,
        "call": step["call"],
        "ok": True,
        "binding": _binding(inv, index),
        "resolved": _resolved(inv, index),
        "result": {"completedAt": iso_ms(_step_end_ms(inv, index)), "value": None},
    }


def _failed_step(inv: StoredInvocation, index: int) -> JsonObject:
    call = inv.steps[index]["call"]
    return {
        "index": index,
        "call": call,
        "ok": False,
        "error": {
            "code": _FAILED_STEP_CODE,
            "message": f"The browser driver disconnected while running {call}",
            "hint": "Retry the invocation; the runtime reconnects its driver automatically.",
            "diagnostic": {
                "id": f"diag_{_derived_hex(inv, index, 'diagnostic')}",
                "code": _FAILED_STEP_CODE,
                "category": "runtime",
                "call": call,
                "driver": "playwright",
                "docsUrl": f"{_DOCS_BASE}/driver-not-connected",
                "fixes": [{"title": "Retry the invocation", "command": "bctrl invocations retry"}],
            },
        },
    }


def _binding(inv: StoredInvocation, index: int) -> JsonObject:
    step = inv.steps[index]
    kind = _binding_type(step["call"])
    return {
        "alias": step.get("bind") or f"step{index}",
        "id": f"{kind}_{_derived_hex(inv, index, kind)}",
        "type": kind,
    }


def _resolved(inv: StoredInvocation, index: int) -> JsonObject:
    step = inv.steps[index]
    target, _, method = step["call"].rpartition(".")
    target = target or "runtime"
    on_page = target == "page"
    return {
        "call": step["call"],
        "contextId": f"ctx_{_derived_hex(inv, 0, 'context')}" if target != "runtime" else None,
        "handleId": f"handle_{_derived_hex(inv, index, 'handle')}" if "bind" in step else None,
        "method": method,
        "pageId": f"page_{_derived_hex(inv, 0, 'page')}" if on_page else None,
        "ref": step.get("ref"),
        "runtimeId": inv.runtime_id,
        "target": target,
    }


def _binding_type(call: str) -> str:
    target = call.partition(".")[0]
    if target in ("page", "context"):
        return target
    return "subscription" if "subscribe" in call else "handle"


def _step_end_ms(inv: StoredInvocation, index: int) -> int:
    run_ms = inv.ends_ms - inv.started_ms
    return inv.started_ms + run_ms * (index + 1) // len(inv.steps)


def _derived_hex(inv: StoredInvocation, index: int, kind: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, f"{inv.id}/{index}/{kind}").hex[:16]
