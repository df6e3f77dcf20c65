"""Each tool defined once: name, title, description, input model, hints, and how it runs.

The LangChain tools and the MCP server only translate these specs; neither restates a
name, a description or an argument. Input schemas stay portable across model
providers: flat objects, every field described, no ``$ref``, ``anyOf`` or type arrays,
and ``additionalProperties: false``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bctrl_tools.durations import MAX_DURATION_SECONDS
from bctrl_tools.errors import BctrlError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.ids import EXAMPLE_INVOCATION_ID, MAX_INVOCATION_ID_LENGTH
from bctrl_tools.limits import (
    DEFAULT_LIST_LIMIT,
    MAX_BATCH,
    MAX_LIST_LIMIT,
    MAX_REASON_LENGTH,
    MAX_WAIT_SECONDS,
)
from bctrl_tools.operations import AsyncConfirm, OnResult, Operations
from bctrl_tools.outcomes import BatchOutcome, CancelOutcome, InvocationReport
from bctrl_tools.report import FULL_VIEW_LIMIT, Detail
from bctrl_tools.run_listing import LIVE_STATUSES
from bctrl_tools.run_report import InvocationList
from bctrl_tools.runaway import RunawayRules
from bctrl_tools.runs import ONE_RUN
from bctrl_tools.tool_output import ErrorInfo, ToolOutput

__all__ = [
    "CANCEL_INVOCATION",
    "CANCEL_INVOCATIONS",
    "GET_INVOCATION",
    "LIST_INVOCATIONS",
    "TOOL_SPECS",
    "CancelInvocationInput",
    "CancelInvocationsInput",
    "GetInvocationInput",
    "ListInvocationsInput",
    "ToolHints",
    "ToolInputError",
    "ToolResult",
    "ToolSpec",
    "describe_input_error",
    "input_error_result",
    "offered_specs",
    "tool_result",
]

logger = logging.getLogger("bctrl_tools")

_ID_HELP = (
    f"The invocation's id: the UUID bctrl returned when it was created, e.g. "
    f'{EXAMPLE_INVOCATION_ID}. Use "self" for the invocation this agent is running in.'
)
_WAIT_HELP = (
    f"Seconds (0 to {MAX_WAIT_SECONDS}) to wait for the invocation to reach cancelled "
    "before answering. 0 answers as soon as the cancel is requested."
)
_REASON_HELP = "Why it is being cancelled, for the audit log (not sent to bctrl). May be empty."


# Each id of a batch is bounded like a single one, so no huge string reaches a summary.
InvocationIdItem = Annotated[str, Field(min_length=1, max_length=MAX_INVOCATION_ID_LENGTH)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CancelInvocationInput(_Input):
    invocation_id: str = Field(
        min_length=1, max_length=MAX_INVOCATION_ID_LENGTH, description=_ID_HELP
    )
    wait_seconds: int = Field(default=0, ge=0, le=MAX_WAIT_SECONDS, description=_WAIT_HELP)
    reason: str = Field(default="", max_length=MAX_REASON_LENGTH, description=_REASON_HELP)


class CancelInvocationsInput(_Input):
    invocation_ids: list[InvocationIdItem] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f'1 to {MAX_BATCH} invocation ids (UUIDs, or "self"); duplicates are '
        "dropped and this agent's own invocation is cancelled last.",
    )
    wait_seconds: int = Field(default=0, ge=0, le=MAX_WAIT_SECONDS, description=_WAIT_HELP)
    reason: str = Field(default="", max_length=MAX_REASON_LENGTH, description=_REASON_HELP)


class GetInvocationInput(_Input):
    invocation_id: str = Field(
        min_length=1, max_length=MAX_INVOCATION_ID_LENGTH, description=_ID_HELP
    )
    detail: Detail = Field(
        default="summary",
        description='"summary" (the default): status, progress, times and error, compact. '
        '"full": also the record itself (every step\'s arguments and results, metadata), '
        f"cut to fit {FULL_VIEW_LIMIT:,} characters; ask for it only when the summary is not "
        "enough.",
    )


Status = Literal[
    "queued",
    "dispatching",
    "running",
    "cancelling",
    "succeeded",
    "failed",
    "cancelled",
    "timed_out",
]
_LIVE: tuple[Status, ...] = ("queued", "dispatching", "running", "cancelling")
assert tuple(str(status) for status in LIVE_STATUSES) == _LIVE, "one meaning of live"
_FILTER_OFF = " 0 (the default) turns this filter off."


class ListInvocationsInput(_Input):
    run_id: str = Field(
        default="",
        max_length=MAX_INVOCATION_ID_LENGTH,
        description="The run to list (an invocation's runId). Leave empty to give "
        "invocation_id instead.",
    )
    invocation_id: str = Field(
        default="",
        max_length=MAX_INVOCATION_ID_LENGTH,
        description='An invocation whose run to list; "self" lists the run this agent is '
        "running in, with its siblings. Leave empty to give run_id instead.",
    )
    status: list[Status] = Field(
        default_factory=lambda: list(_LIVE),
        min_length=1,
        max_length=8,
        description="Which statuses to list; by default the live ones (queued, "
        "dispatching, running, cancelling).",
    )
    running_longer_than_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_DURATION_SECONDS,
        description="Only invocations running (or waiting to start) longer than this many "
        "seconds." + _FILTER_OFF,
    )
    heartbeat_older_than_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_DURATION_SECONDS,
        description="Only started invocations whose last heartbeat is older than this many "
        "seconds: stalled ones." + _FILTER_OFF,
    )
    min_steps: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Only invocations on this step number or later." + _FILTER_OFF,
    )
    limit: int = Field(
        default=DEFAULT_LIST_LIMIT,
        ge=1,
        le=MAX_LIST_LIMIT,
        description=f"At most this many invocations (1 to {MAX_LIST_LIMIT}).",
    )

    @model_validator(mode="after")
    def _one_run(self) -> ListInvocationsInput:
        if bool(self.run_id) == bool(self.invocation_id):
            raise ValueError(ONE_RUN)
        return self

    def rules(self) -> RunawayRules:
        """The runaway filters given; with several, an invocation matching any is listed."""
        return RunawayRules(
            running_longer_than_seconds=self.running_longer_than_seconds or None,
            heartbeat_older_than_seconds=self.heartbeat_older_than_seconds or None,
            min_steps=self.min_steps or None,
        )


@dataclass(frozen=True)
class ToolHints:
    """Behaviour hints, named as MCP tool annotations name them."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool = True


@dataclass(frozen=True)
class ToolResult:
    """What a face hands back: the text and the structured data a model sees, error or not,
    and the output they came from (whose :meth:`~ToolOutput.artifact` has everything)."""

    text: str
    data: dict[str, Any]
    is_error: bool
    output: ToolOutput | None = None

    @property
    def artifact(self) -> dict[str, Any]:
        """Everything the tool knows, full records included: for a program, not a model."""
        return self.output.artifact() if self.output is not None else self.data


class ToolInputError(ValueError):
    """Tool arguments did not fit the tool's input model; the message says how."""


@dataclass(frozen=True)
class Hooks:
    """What a face may lend an async call: a way to ask the person, a progress callback."""

    confirm: AsyncConfirm | None = None
    on_result: OnResult | None = None


In = TypeVar("In", bound=BaseModel)
# Bound to ToolOutput: a spec whose output model lacks message/is_error/error, or cannot
# hold an error, does not type-check.
Out = TypeVar("Out", bound=ToolOutput)


@dataclass(frozen=True)
class ToolSpec(Generic[In, Out]):
    """One tool, defined once for every face."""

    name: str
    title: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    hints: ToolHints
    _run: Callable[[Operations, In], Out]
    _arun: Callable[[Operations, In, Hooks], Awaitable[Out]]

    def parse(self, arguments: object) -> In:
        """Validate raw arguments, or raise :class:`ToolInputError` saying what to fix."""
        try:
            return self.input_model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolInputError(describe_input_error(self, exc)) from None

    def input_schema(self) -> dict[str, Any]:
        """The JSON schema a model sees for this tool's arguments."""
        return self.input_model.model_json_schema()

    def run(self, operations: Operations, arguments: In) -> ToolResult:
        try:
            return tool_result(self._run(operations, arguments))
        except BctrlError as exc:
            return self.error_result(exc)
        except Exception as exc:  # a bug, or an unwritable audit file: never into the agent
            logger.exception("%s failed unexpectedly", self.name)
            return self._unexpected(exc)

    async def arun(
        self,
        operations: Operations,
        arguments: In,
        *,
        confirm: AsyncConfirm | None = None,
        on_result: OnResult | None = None,
    ) -> ToolResult:
        try:
            output = await self._arun(operations, arguments, Hooks(confirm, on_result))
            return tool_result(output)
        except BctrlError as exc:
            return self.error_result(exc)
        except Exception as exc:  # a bug, or an unwritable audit file: never into the agent
            logger.exception("%s failed unexpectedly", self.name)
            return self._unexpected(exc)

    def failure(self, message: str, error: ErrorInfo) -> ToolResult:
        """An error as this tool's own output model, so it fits the advertised schema."""
        return tool_result(self.output_model.failure(message, error))

    def error_result(self, error: BctrlError | ToolInputError) -> ToolResult:
        """A refused argument or a failed call, shaped like every other error result."""
        return self.failure(str(error), ErrorInfo.of(error))

    def _unexpected(self, error: BaseException) -> ToolResult:
        # The exception's text stays in the log: it is not written for the model and could
        # carry anything. A cancel may or may not have been sent, so say how to check.
        message = (
            f"{self.name} failed unexpectedly inside bctrl-tools ({type(error).__name__}). "
            "Whether anything changed is unknown: read the invocation's state before "
            "retrying, and see the log for details."
        )
        return self.failure(message, ErrorInfo(type="InternalError", code="internal_error"))


def describe_input_error(spec: ToolSpec[Any, Any], exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        problems.append(f"{where}: {error['msg']}")
    fields = ", ".join(spec.input_model.model_fields)
    return (
        f"Invalid arguments for {spec.name}: {'; '.join(problems)}. "
        f"It takes a JSON object with: {fields}. Nothing was done."
    )


def tool_result(output: ToolOutput) -> ToolResult:
    """Any tool's output as a face's result: its text, its data, whether it failed."""
    return ToolResult(output.text(), output.model_dump(mode="json"), output.is_error, output)


def input_error_result(spec: ToolSpec[Any, Any], error: ToolInputError) -> ToolResult:
    """Arguments the input model refused, as the tool's own output model."""
    return spec.error_result(error)


def _at_detail(report: InvocationReport, detail: Detail) -> InvocationReport:
    return report.detailed() if detail == "full" else report


async def _aat_detail(report: Awaitable[InvocationReport], detail: Detail) -> InvocationReport:
    return _at_detail(await report, detail)


def offered_specs(guardrails: Guardrails) -> tuple[ToolSpec[Any, Any], ...]:
    """The tools to offer: read-only mode drops every tool that is not read-only."""
    if guardrails.read_only:
        return tuple(spec for spec in TOOL_SPECS if spec.hints.read_only)
    return TOOL_SPECS


CANCEL_INVOCATION: ToolSpec[CancelInvocationInput, CancelOutcome] = ToolSpec(
    name="cancel_invocation",
    title="Cancel a bctrl invocation",
    description=(
        "Stop a running bctrl invocation (a hosted agent run). Cancelling is a request: "
        "the invocation moves to 'cancelling', then to 'cancelled' shortly after; set "
        "wait_seconds to wait for that. Repeating it is safe: an invocation that has "
        "already finished is reported as already_finished, not as an error. The result's "
        "outcome is one of cancel_requested, cancelled, already_finished, not_found, "
        "refused, dry_run or failed. The id is a UUID such as "
        f'{EXAMPLE_INVOCATION_ID}, or "self" for this agent\'s own invocation.'
    ),
    input_model=CancelInvocationInput,
    output_model=CancelOutcome,
    hints=ToolHints(read_only=False, destructive=True, idempotent=True),
    _run=lambda ops, args: ops.cancel(
        args.invocation_id, wait_seconds=args.wait_seconds, reason=args.reason
    ),
    _arun=lambda ops, args, hooks: ops.acancel(
        args.invocation_id,
        wait_seconds=args.wait_seconds,
        reason=args.reason,
        confirm=hooks.confirm,
    ),
)

CANCEL_INVOCATIONS: ToolSpec[CancelInvocationsInput, BatchOutcome] = ToolSpec(
    name="cancel_invocations",
    title="Cancel many bctrl invocations",
    description=(
        f"Stop up to {MAX_BATCH} bctrl invocations at once, e.g. every sibling a supervisor "
        "judges to have run away. Each id gets its own outcome (cancel_requested, cancelled, "
        "already_finished, not_found, refused, dry_run or failed); one failure never stops "
        'the rest, and repeating the call is safe. This agent\'s own invocation ("self") '
        "is cancelled last. Answers with a one-line summary and the outcome of each id."
    ),
    input_model=CancelInvocationsInput,
    output_model=BatchOutcome,
    hints=ToolHints(read_only=False, destructive=True, idempotent=True),
    _run=lambda ops, args: ops.cancel_many(
        args.invocation_ids, wait_seconds=args.wait_seconds, reason=args.reason
    ),
    _arun=lambda ops, args, hooks: ops.acancel_many(
        args.invocation_ids,
        wait_seconds=args.wait_seconds,
        reason=args.reason,
        confirm=hooks.confirm,
        on_result=hooks.on_result,
    ),
)

GET_INVOCATION: ToolSpec[GetInvocationInput, InvocationReport] = ToolSpec(
    name="get_invocation",
    title="Inspect a bctrl invocation",
    description=(
        "Read a bctrl invocation's current state without changing it: status (queued, "
        "dispatching, running, cancelling, succeeded, failed, cancelled, timed_out), the "
        "step it is on out of how many, the call it is running, how long it has run and "
        "how long since its last heartbeat. Use it to judge whether an invocation is stuck "
        "or running away before cancelling it, and to confirm a cancel took effect. The id "
        f'is a UUID such as {EXAMPLE_INVOCATION_ID}, or "self".'
    ),
    input_model=GetInvocationInput,
    output_model=InvocationReport,
    hints=ToolHints(read_only=True, destructive=False, idempotent=True),
    _run=lambda ops, args: _at_detail(ops.get(args.invocation_id), args.detail),
    _arun=lambda ops, args, hooks: _aat_detail(ops.aget(args.invocation_id), args.detail),
)

LIST_INVOCATIONS: ToolSpec[ListInvocationsInput, InvocationList] = ToolSpec(
    name="list_invocations",
    title="List a run's bctrl invocations",
    description=(
        "Find what to stop: list the invocations of a bctrl run, by run_id or by an "
        'invocation_id in it ("self": this agent\'s own run and its siblings), with each '
        "one's status, step, current call, age and heartbeat age; by default only live ones. "
        "To supervise, list with running_longer_than_seconds, heartbeat_older_than_seconds "
        "or min_steps to find runaway ones, then call cancel_invocations with the ids found. "
        "This agent's own invocation is marked is_self. Read-only."
    ),
    input_model=ListInvocationsInput,
    output_model=InvocationList,
    hints=ToolHints(read_only=True, destructive=False, idempotent=True),
    _run=lambda ops, args: ops.list_invocations(
        args.run_id or None,
        invocation_id=args.invocation_id or None,
        status=args.status,
        rules=args.rules(),
        limit=args.limit,
    ),
    _arun=lambda ops, args, hooks: ops.alist_invocations(
        args.run_id or None,
        invocation_id=args.invocation_id or None,
        status=args.status,
        rules=args.rules(),
        limit=args.limit,
    ),
)

TOOL_SPECS: tuple[ToolSpec[Any, Any], ...] = (
    CANCEL_INVOCATION,
    CANCEL_INVOCATIONS,
    GET_INVOCATION,
    LIST_INVOCATIONS,
)
