"""Pydantic models of the bctrl invocation record, as the v1 API sends it.

Every model keeps fields it does not know (``extra="allow"``) and every enum accepts
values it does not know (see :class:`OpenEnum`): a newer server adds fields and
states, and an old client must still be able to cancel. Timestamps and ids stay the
strings the server sent, so ``model_dump(mode="json", by_alias=True)`` gives back
exactly the record that was received.

A record that drifts further from the documented schema (a required field missing, a
value of another type) is still read by :meth:`Invocation.read_leniently`
(:mod:`bctrl_tools.drift`): only an unreadable ``id`` or ``status`` makes it unreadable.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    GetCoreSchemaHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    model_serializer,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema
from typing_extensions import Self

__all__ = [
    "TERMINAL_STATUSES",
    "Binding",
    "BindingType",
    "Diagnostic",
    "DiagnosticCategory",
    "DiagnosticFix",
    "Documented",
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


T = TypeVar("T")


class _NotNull:
    """Validates ``T | None`` as plain ``T``: a strict read refuses null, at no cost."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        (inner,) = [arg for arg in get_args(source) if arg is not type(None)]
        return handler.generate_schema(inner)


# A value the documented schema requires. Validated as ``T``, but typed ``T | None``:
# in a record read leniently it is None where it drifted (see Invocation.schema_warnings).
Documented = Annotated[T | None, _NotNull()]


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

    # The server's clock when it sent this record (its Date header), set by the client.
    _served_at: float | None = PrivateAttr(default=None)

    @property
    def served_at(self) -> float | None:
        """When the server sent this record, by the server's own clock (its ``Date``
        header, to the second); None if it did not say, or the record was built here."""
        return self._served_at

    def stamp(self, served_at: float | None) -> None:
        """Record when the server sent this (the client calls it on every response)."""
        self._served_at = served_at

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
    steps: list[Documented[StepResult]]


class InvocationError(BctrlModel):
    message: str
    code: str | None = None
    details: dict[str, Any] | None = None


class Invocation(BctrlModel):
    """One durable invocation: an agent's run inside a bctrl runtime."""

    id: str
    status: InvocationStatus
    run_id: Documented[str]
    runtime_id: Documented[str]
    runtime_kind: Documented[RuntimeKind]
    space_id: Documented[str]
    entry_call: Documented[str]
    execution_mode: Documented[ExecutionMode]
    created_at: Documented[str]
    sequence_no: Documented[int]
    step_count: Documented[int]
    artifact_count: Documented[int]
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

    # Set only on a record read leniently, to a _Drift. A slot, not a pydantic private
    # attribute: those cost every strict read a Python call (~1.5 µs, a fifth of reading one).
    __slots__ = ("_drift",)

    @classmethod
    def read_leniently(cls, data: Any) -> Self:
        """The record, even one that drifted from the documented schema.

        A record that matches is validated as strictly as by ``model_validate``. One that
        does not is read part by part: a field or part (``progress``, ``request``,
        ``result``, ``error``, one step result) that does not match is None, the rest
        stays typed, and :attr:`schema_warnings` names what drifted. Raises
        ``ValidationError`` only if the body is not an object or its ``id`` or
        ``status`` cannot be read as a string. A drifted ``data`` is kept, not copied.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            # Imported here: only a record that drifted needs it.
            from bctrl_tools.drift import degrade

            record, warnings = degrade(cls, data, exc)
        # Kept as given (the clients pass a body they just parsed), copied when handed out.
        object.__setattr__(record, "_drift", _Drift(data, warnings))
        return record

    @property
    def schema_warnings(self) -> tuple[str, ...]:
        """The paths that did not match the documented schema, e.g. ``result.steps.*.resolved``.

        Empty for a record that matched. List indices read ``*``, so the list stays short.
        """
        drift = self._drifted()
        return drift.warnings if drift else ()

    @property
    def is_terminal(self) -> bool:
        """True once the invocation has succeeded, failed, been cancelled or timed out."""
        return self.status.is_terminal

    def to_json_dict(self) -> dict[str, Any]:
        """The record as the API sent it: JSON-ready, camelCase keys, drifted parts included."""
        drift = self._drifted()
        if drift is not None:
            # Through JSON, not deepcopy: as deep as the body parsed, without Python recursion.
            sent: dict[str, Any] = json.loads(json.dumps(drift.sent))
            return sent
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return data

    def _drifted(self) -> _Drift | None:
        drift: _Drift | None = getattr(self, "_drift", None)
        return drift

    # pydantic copies fields, extras and private attributes, not slots: carry the drift.
    def __copy__(self) -> Self:
        copied = super().__copy__()
        object.__setattr__(copied, "_drift", self._drifted())
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        copied = super().__deepcopy__(memo)
        object.__setattr__(copied, "_drift", self._drifted())
        return copied


@dataclass(frozen=True)
class _Drift:
    """How a record read leniently drifted: the body as sent, and the paths that did not match."""

    sent: dict[str, Any]
    warnings: tuple[str, ...]
