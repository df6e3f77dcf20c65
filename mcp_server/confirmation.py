"""Asking the person before each cancel (``--confirm`` / ``BCTRL_CONFIRM=1``), by MCP elicitation.

The core decides *whether* to ask (after its own guardrails, with the invocation in hand)
and calls an :data:`~bctrl_tools.operations.AsyncConfirm`; this module only asks. How a
server may ask depends on the protocol era the client speaks:

* up to 2025-11-25 (Claude Desktop, Claude Code today) the server sends
  ``elicitation/create`` in the middle of the call and waits for the answer;
* from 2026-07-28 a server may not send requests: the call answers ``input_required``
  with the questions, and the client calls again with the answers and the
  ``requestState`` we gave it (sealed and bound to this very call by the SDK).

A client that declared no form elicitation is not asked at all: the core then refuses
with its own "this client cannot ask" message.
"""

from __future__ import annotations

import json
from typing import Any, Literal

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
from pydantic import BaseModel, Field, ValidationError

from bctrl_tools.models import Invocation
from bctrl_tools.operations import ConfirmationPending
from bctrl_tools.outcomes import describe_progress

__all__ = ["AskByRetry", "AskNow", "Asking", "ask_for"]

# The first revision that carries elicitation in an input_required result.
INPUT_REQUIRED_VERSION = "2026-07-28"
_KEY_PREFIX = "cancel:"

Decision = Literal["accept", "decline", "cancel"]


class Approval(BaseModel):
    """The form the person sees: one ticked box, so "Accept" alone means yes."""

    cancel: bool = Field(
        default=True,
        title="Cancel it",
        description="Leave ticked to stop the invocation; untick to keep it running.",
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
    doing = f"{invocation.status}, at {where}" if where else str(invocation.status)
    return (
        f"Cancel bctrl invocation {invocation_id} ({doing}) in space {invocation.space_id}? "
        "Cancelling cannot be undone."
    )


def decision(answer: ElicitResult) -> Decision:
    """The person's answer; accepting with the box unticked is a no."""
    if answer.action == "accept" and (answer.content or {}).get("cancel", True) is False:
        return "decline"
    return answer.action


def refusal(invocation_id: str, answer: Decision) -> str:
    """The refused outcome's message when the person did not agree."""
    if answer == "decline":
        return (
            f"The user declined to cancel invocation {invocation_id}. Nothing was sent; leave "
            "it running unless the user asks again."
        )
    return (
        f"The user dismissed the confirmation to cancel invocation {invocation_id}, so nothing "
        "was sent: cancelling needs their confirmation (BCTRL_CONFIRM is set)."
    )


class AskNow:
    """Handshake era: ask with ``elicitation/create`` mid-call, one question at a time."""

    def __init__(self, context: Context[Any, Any]) -> None:
        self._context = context
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
                    "(BCTRL_CONFIRM is set)."
                )
        answered = decision(answer)
        return None if answered == "accept" else refusal(invocation_id, answered)

    def is_waiting(self, invocation_id: str) -> bool:
        return False

    def input_required(self) -> InputRequiredResult | None:
        return None


class _Rounds(BaseModel):
    """Our ``requestState``: what was asked last round, and every answer so far."""

    v: Literal[1] = 1
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

    def __init__(self, context: Context[Any, Any]) -> None:
        rounds = _Rounds.read(context.request_state)
        self._decided = {**rounds.decided, **_answers(context.input_responses, rounds.asked)}
        self._pending: dict[str, InputRequest] = {}

    async def __call__(self, invocation_id: str, invocation: Invocation | None) -> str | None:
        answered = self._decided.get(invocation_id)
        if answered is not None:
            return None if answered == "accept" else refusal(invocation_id, answered)
        self._pending[invocation_id] = ElicitRequest(
            params=ElicitRequestFormParams(
                message=question(invocation_id, invocation), requested_schema=APPROVAL_SCHEMA
            )
        )
        # Never seen by the model: the call answers input_required instead of this result.
        return ConfirmationPending(
            f"Waiting for the user to confirm cancelling invocation {invocation_id}."
        )

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


def ask_for(context: Context[Any, Any]) -> Asking | None:
    """How to ask this call's client, or None when it cannot be asked."""
    capabilities = context.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare "elicitation: {}" (from before modes existed) means form support.
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return None
    version = context.protocol_version
    if version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION):
        return AskByRetry(context)
    if not context.session.can_send_request:
        return None  # e.g. stateless HTTP: no channel to send elicitation/create on
    return AskNow(context)
