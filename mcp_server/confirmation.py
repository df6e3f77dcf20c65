"""Asking the person before each cancel (``--confirm`` / ``BCTRL_CONFIRM=1``), by MCP elicitation.

The core decides *whether* to ask (after its own guardrails, with the invocation in hand)
and calls an :data:`~bctrl_tools.operations.AsyncConfirm`; this module only asks. How a
server may ask depends on the protocol era the client speaks:

* up to 2025-11-25 (Claude Desktop, Claude Code today) the server sends
  ``elicitation/create`` in the middle of the call and waits for the answer;
* from 2026-07-28 a server may not send requests: the call answers ``input_required``
  with the questions, and the client calls again with the answers and the
  ``requestState`` we gave it (sealed and bound to this very call by the SDK, under
  ``BCTRL_MCP_STATE_SECRET`` when replicas share one, so that any of them can read it).
  Each round's state is marked used when its answers arrive (:class:`UsedOnce` in this
  process, or the Redis at ``BCTRL_STATE_URL``), so an answer is used once.

Only an ``accept`` whose content validates against the form we asked with, and whose
box is ticked (boolean ``true``), is a yes. Anything else refuses, with nothing sent.

A client that declared no form elicitation is not asked at all: the core then refuses
with its own "this client cannot ask" message.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any, Literal, Protocol

import anyio
from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp_types import (
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequest,
    InputRequiredResult,
    InputResponses,
)
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bctrl_tools.budget import StoreUnavailable
from bctrl_tools.models import Invocation
from bctrl_tools.operations import ConfirmationPending
from bctrl_tools.outcomes import describe_progress
from bctrl_tools.text import NAME_LIMIT, one_line
from mcp_server.lifespan import operations_of

__all__ = ["CONFIRMATION_TTL", "AskByRetry", "AskNow", "Asking", "Claims", "UsedOnce", "ask_for"]

# The first revision that carries elicitation in an input_required result.
INPUT_REQUIRED_VERSION = "2026-07-28"
_KEY_PREFIX = "cancel:"
# How long a person has to answer (the SDK's seal expires then), in seconds.
CONFIRMATION_TTL = 600.0
# A used mark outlives the seal it guards, whatever the clocks of two replicas say.
_USED_MARK_TTL = CONFIRMATION_TTL + 120.0

# "invalid": an accept whose content is not the form we asked for. Never a yes.
Decision = Literal["accept", "decline", "cancel", "invalid", "reused", "unavailable"]


class Approval(BaseModel):
    """The form the person sees: one box, ticked to begin with, so "Accept" alone means yes.

    The box is required and strictly boolean: the answer must say ``"cancel": true``.
    """

    # Strict, closed: "false", 0, "no" or an extra field are not the form we asked with.
    model_config = ConfigDict(strict=True, extra="forbid")

    cancel: bool = Field(
        title="Cancel it",
        description="Leave ticked to stop the invocation; untick to keep it running.",
        json_schema_extra={"default": True},  # a form shows the box ticked
    )


APPROVAL_SCHEMA: dict[str, Any] = render_elicitation_schema(Approval)


def question(invocation_id: str, invocation: Invocation | None) -> str:
    """What the person is asked, with what the invocation is doing when it is known."""
    if invocation is None:
        return f"Cancel bctrl invocation {invocation_id}? Cancelling cannot be undone."
    progress = invocation.progress
    where = ""
    if progress is not None:
        where = describe_progress(progress.step, progress.total_steps, progress.current_call)
    # The server's words, cleaned and capped before a person reads them.
    status, space = (
        one_line(invocation.status, NAME_LIMIT),
        one_line(invocation.space_id, NAME_LIMIT),
    )
    doing = f"{status}, at {where}" if where else status
    return (
        f"Cancel bctrl invocation {invocation_id} ({doing}) in space {space}? "
        "Cancelling cannot be undone."
    )


def decision(answer: ElicitResult) -> Decision:
    """The person's answer. Fails closed: only a valid form with the box ticked is a yes."""
    if answer.action != "accept":
        return answer.action
    try:
        approval = Approval.model_validate(answer.content)
    except ValidationError:
        return "invalid"
    return "accept" if approval.cancel is True else "decline"


def refusal(invocation_id: str, answer: Decision, detail: str = "", *, why: str) -> str:
    """The refused outcome's message when the person did not agree; ``why``: see _why."""
    if answer == "decline":
        return (
            f"The user declined to cancel invocation {invocation_id}. Nothing was sent; leave "
            "it running unless the user asks again."
        )
    if answer == "invalid":
        return (
            f"The confirmation to cancel invocation {invocation_id} came back accepted but "
            'not as the form asked (it must say "cancel": true), so it is not a yes. Nothing '
            "was sent; call again to ask the user again."
        )
    if answer == "reused":
        return (
            f"This confirmation to cancel invocation {invocation_id} was already used once "
            "(or has expired). Nothing was sent; call again without it to ask the user again."
        )
    if answer == "unavailable":
        return (
            f"The answer to cancel invocation {invocation_id} could not be checked as unused: "
            f"{detail} Nothing was sent: cancelling needs a confirmation that is used once."
        )
    return (
        f"The user dismissed the confirmation to cancel invocation {invocation_id}, so nothing "
        f"was sent: cancelling needs their confirmation ({why})."
    )


def _why(context: Context[Any, Any]) -> str:
    """What switched confirmation on (--confirm or BCTRL_CONFIRM), for messages."""
    return operations_of(context).guardrails.why("confirm")


class AskNow:
    """Handshake era: ask with ``elicitation/create`` mid-call, one question at a time."""

    def __init__(self, context: Context[Any, Any]) -> None:
        self._context = context
        self._why = _why(context)
        # A batch confirms its items concurrently; the person answers one dialog at a time.
        self._one_at_a_time = anyio.Lock()

    async def __call__(self, invocation_id: str, invocation: Invocation | None) -> str | None:
        async with self._one_at_a_time:
            try:
                answer = await self._context.session.elicit_form(
                    question(invocation_id, invocation),
                    APPROVAL_SCHEMA,
                    related_request_id=self._context.request_id,
                )
            except MCPError as error:
                return (
                    f"Could not ask the user to confirm cancelling invocation {invocation_id} "
                    f"({error.message}). Nothing was sent: cancelling needs their confirmation "
                    f"({self._why})."
                )
        answered = decision(answer)
        return None if answered == "accept" else refusal(invocation_id, answered, why=self._why)

    def is_waiting(self, invocation_id: str) -> bool:
        return False

    def input_required(self) -> InputRequiredResult | None:
        return None


class Claims(Protocol):
    """Where a round's state is marked used, so that its answers count once."""

    async def aclaim(self, token: str, ttl: float) -> bool:
        """Mark ``token`` used; False if it already was."""
        ...


class UsedOnce:
    """The marks in this process: right for one server; replicas share Redis's instead."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    async def aclaim(self, token: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._lock:
            # Forget expired marks: a sealed state past its TTL is refused by the SDK.
            self._until = {key: until for key, until in self._until.items() if until > now}
            if token in self._until:
                return False
            self._until[token] = now + ttl
            return True


class _Rounds(BaseModel):
    """Our ``requestState``: what was asked last round, and every answer so far."""

    v: Literal[2] = 2
    # Unguessable, fresh each round: the mark that makes this round's answers count once.
    id: str = Field(default_factory=lambda: secrets.token_urlsafe(24))
    asked: list[str] = []
    decided: dict[str, Decision] = {}

    @classmethod
    def read(cls, request_state: str | None) -> _Rounds:
        # The SDK has already checked the state is ours and bound to this call, so a
        # malformed one can only come from another version of this server: start over.
        if not request_state:
            return cls()
        try:
            return cls.model_validate(json.loads(request_state))
        except (ValueError, ValidationError):
            return cls()


class AskByRetry:
    """2026-07-28 era: collect the questions, answer ``input_required``, read the answers."""

    def __init__(self, context: Context[Any, Any], claims: Claims) -> None:
        self._rounds = _Rounds.read(context.request_state) if context.request_state else None
        rounds = self._rounds or _Rounds()
        self._decided = {**rounds.decided, **_answers(context.input_responses, rounds.asked)}
        self._pending: dict[str, InputRequest] = {}
        self._claims = claims
        self._claimed: tuple[Decision, str] | None = None  # None: not checked yet
        self._claiming = anyio.Lock()
        self._why = _why(context)

    async def __call__(self, invocation_id: str, invocation: Invocation | None) -> str | None:
        if self._rounds is not None:
            used, detail = await self._claim()
            if used != "accept":  # replayed, or not checkable: no answer in it counts
                return refusal(invocation_id, used, detail, why=self._why)
        answered = self._decided.get(invocation_id)
        if answered is not None:
            return None if answered == "accept" else refusal(invocation_id, answered, why=self._why)
        self._pending[invocation_id] = ElicitRequest(
            params=ElicitRequestFormParams(
                message=question(invocation_id, invocation), requested_schema=APPROVAL_SCHEMA
            )
        )
        # Never seen by the model: the call answers input_required instead of this result.
        return ConfirmationPending(
            f"Waiting for the user to confirm cancelling invocation {invocation_id}."
        )

    async def _claim(self) -> tuple[Decision, str]:
        """Mark the state we were sent used, once per call (a batch asks concurrently)."""
        assert self._rounds is not None
        async with self._claiming:
            if self._claimed is None:
                self._claimed = await self._mark_used(self._rounds.id)
            return self._claimed

    async def _mark_used(self, round_id: str) -> tuple[Decision, str]:
        try:
            first = await self._claims.aclaim(round_id, _USED_MARK_TTL)
        except StoreUnavailable as error:
            return "unavailable", str(error)
        return ("accept", "") if first else ("reused", "")

    def is_waiting(self, invocation_id: str) -> bool:
        return invocation_id in self._pending

    def input_required(self) -> InputRequiredResult | None:
        """The questions to put to the person, if this round raised any."""
        if not self._pending:
            return None
        rounds = _Rounds(asked=sorted(self._pending), decided=self._decided)
        return InputRequiredResult(
            input_requests={_KEY_PREFIX + key: request for key, request in self._pending.items()},
            request_state=rounds.model_dump_json(),
        )


def _answers(responses: InputResponses | None, asked: list[str]) -> dict[str, Decision]:
    # Only answers to questions we asked last round count; anything else is ignored.
    answers: dict[str, Decision] = {}
    for key, response in (responses or {}).items():
        invocation_id = key.removeprefix(_KEY_PREFIX)
        ours = key.startswith(_KEY_PREFIX) and invocation_id in asked
        if ours and isinstance(response, ElicitResult):
            answers[invocation_id] = decision(response)
    return answers


Asking = AskNow | AskByRetry


def ask_for(context: Context[Any, Any], claims: Claims) -> Asking | None:
    """How to ask this call's client, or None when it cannot be asked."""
    capabilities = context.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare "elicitation: {}" (from before modes existed) means form support.
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return None
    version = context.protocol_version
    if version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION):
        return AskByRetry(context, claims)
    if not context.session.can_send_request:
        return None  # e.g. stateless HTTP: no channel to send elicitation/create on
    return AskNow(context)
