"""Pydantic models of the bctrl invocation record, as the v1 API sends it.

Every model keeps fields it does not know (``extra="allow"``) and every enum accepts
values it does not know (see :class:`OpenEnum`): a newer server adds fields and
states, and an old client must still be able to cancel. Timestamps and ids stay the
strings the server sent, so ``model_dump(mode="json", by_alias=True)`` gives back
exactly the record that was received.
"""

from __future__ import annotations

import functools
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    SerializerFunctionWrapHandler,
    Tag,
    model_serializer,
)
from pydantic.alias_generators import to_camel

__all__ = [
    "TERMINAL_STATUSES",
    "Binding",
    "BindingType",
    "Diagnostic",
    "DiagnosticCategory",
    "DiagnosticFix",
    "ExecutionMode",
    "Invocation",
    "InvocationError",
    "InvocationMode",
    "InvocationRequest",
    "InvocationResult",
    "InvocationStatus",
    "OpenEnum",
    "Progress",
    "RequestStep",
    "ResolvedTarget",
    "RuntimeKind",
    "StepError",
    "StepErrorCode",
    "StepFailure",
    "StepOptions",
    "StepResult",
    "StepSuccess",
]


class OpenEnum(str, Enum):
    """A string enum that also accepts values it was not built with.

    An unknown value (say a new status ``"paused"``) becomes a pseudo-member that
    compares equal to its string and prints as it, instead of failing validation.
    """

    @classmethod
    def _missing_(cls, value: object) -> OpenEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """Whether this value is one the client was built with."""
        return self._value_ in type(self)._value2member_map_


class InvocationStatus(OpenEnum):
    QUEUED = "queued"
    DISPATCHING = "dispatching"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def is_terminal(self) -> bool:
        """True once the invocation can no longer change (an unknown status is not)."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES: frozenset[InvocationStatus] = frozenset(
    {
        InvocationStatus.SUCCEEDED,
        InvocationStatus.FAILED,
        InvocationStatus.CANCELLED,
        InvocationStatus.TIMED_OUT,
    }
)


class RuntimeKind(OpenEnum):
    BROWSER = "browser"
    DESKTOP = "desktop"
    SPREADSHEET = "spreadsheet"


class ExecutionMode(OpenEnum):
    INLINE = "inline"
    DURABLE = "durable"


class InvocationMode(OpenEnum):
    FAIL_FAST = "fail-fast"


class BindingType(OpenEnum):
    PAGE = "page"
    CONTEXT = "context"
    HANDLE = "handle"
    SUBSCRIPTION = "subscription"


class StepErrorCode(OpenEnum):
    UNKNOWN_CALL = "UNKNOWN_CALL"
    UNKNOWN_REF = "UNKNOWN_REF"
    INVALID_ARGS = "INVALID_ARGS"
    CAPABILITY_NOT_AVAILABLE = "CAPABILITY_NOT_AVAILABLE"
    TIMEOUT = "TIMEOUT"
    RUNTIME_NOT_FOUND = "RUNTIME_NOT_FOUND"
    DRIVER_NOT_CONNECTED = "DRIVER_NOT_CONNECTED"
    SUBSCRIPTION_CURSOR_CONFLICT = "SUBSCRIPTION_CURSOR_CONFLICT"
    SUBSCRIPTION_GONE = "SUBSCRIPTION_GONE"


class DiagnosticCategory(OpenEnum):
    ARG_SHAPE = "arg-shape"
    SEMANTIC = "semantic"
    RUNTIME = "runtime"


@functools.cache
def _field_keys(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """Each field's name and wire name, once per class: ``to_camel`` is a regex."""
    return tuple((name, field.alias or name) for name, field in cls.model_fields.items())


class BctrlModel(BaseModel):
    """Base of every record model: camelCase on the wire, unknown fields kept."""

    model_config = ConfigDict(
        # Validators are built on first use, not at import (16 models, ~10 ms).
        defer_build=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
    )

    @model_serializer(mode="wrap")
    def _dump_what_was_sent(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Optional fields the server left out must stay out, or a dump would
        # invent `null`s the server never sent.
        data = handler(self)
        if isinstance(data, dict):
            sent = self.model_fields_set
            for name, alias in _field_keys(type(self)):
                if name not in sent:
                    data.pop(name, None)
                    data.pop(alias, None)
        return data


class Progress(BctrlModel):
    current_call: str | None = None
    last_event_type: str | None = None
    message: str | None = None
    step: int | None = None
    total_steps: int | None = None


class StepOptions(BctrlModel):
    dry_run: bool | None = None
    timeout_ms: int | None = None


class RequestStep(BctrlModel):
    call: str
    args: list[Any] | None = None
    bind: str | None = None
    options: StepOptions | None = None
    ref: str | None = None


class InvocationRequest(BctrlModel):
    runtime_id: str
    steps: list[RequestStep]
    idempotency_key: str | None = None
    mode: InvocationMode | None = None


class Binding(BctrlModel):
    alias: str
    id: str
    type: BindingType


class ResolvedTarget(BctrlModel):
    call: str
    context_id: str | None
    handle_id: str | None
    method: str
    page_id: str | None
    ref: str | None
    runtime_id: str
    target: str


class StepSuccess(BctrlModel):
    call: str
    index: int
    ok: Literal[True]
    resolved: ResolvedTarget
    result: Any
    binding: Binding | None = None


class DiagnosticFix(BctrlModel):
    title: str
    command: str | None = None
    example: str | None = None


class Diagnostic(BctrlModel):
    id: str
    call: str | None = None
    category: DiagnosticCategory | None = None
    closest: list[str] | None = None
    code: str | None = None
    docs_url: str | None = None
    driver: str | None = None
    expected: str | None = None
    fixes: list[DiagnosticFix] | None = None
    received: str | None = None


class StepError(BctrlModel):
    code: StepErrorCode
    message: str
    diagnostic: Diagnostic | None = None
    hint: str | None = None


class StepFailure(BctrlModel):
    call: str
    error: StepError
    index: int
    ok: Literal[False]


def _step_kind(item: Any) -> str:
    ok = item.get("ok") if isinstance(item, dict) else getattr(item, "ok", None)
    return "success" if ok is True else "failure"


StepResult = Annotated[
    Annotated[StepSuccess, Tag("success")] | Annotated[StepFailure, Tag("failure")],
    Discriminator(_step_kind),
]


class InvocationResult(BctrlModel):
    mode: InvocationMode
    ok: bool
    runtime_id: str
    steps: list[StepResult]


class InvocationError(BctrlModel):
    message: str
    code: str | None = None
    details: dict[str, Any] | None = None


class Invocation(BctrlModel):
    """One durable invocation: an agent's run inside a bctrl runtime."""

    id: str
    status: InvocationStatus
    run_id: str
    runtime_id: str
    runtime_kind: RuntimeKind
    space_id: str
    entry_call: str
    execution_mode: ExecutionMode
    created_at: str
    sequence_no: int
    step_count: int
    artifact_count: int
    started_at: str | None = None
    finished_at: str | None = None
    cancel_requested_at: str | None = None
    last_heartbeat_at: str | None = None
    duration_ms: int | None = None
    progress: Progress | None = None
    request: InvocationRequest | None = None
    result: InvocationResult | None = None
    error: InvocationError | None = None
    metadata: dict[str, Any] | None = None
    connector: str | None = None
    correlation_id: str | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the invocation has succeeded, failed, been cancelled or timed out."""
        return self.status.is_terminal

    def to_json_dict(self) -> dict[str, Any]:
        """The record as the API sent it: JSON-ready, camelCase keys."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return data
