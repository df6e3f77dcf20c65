"""--confirm: the user is asked by elicitation, in both protocol eras, before any cancel."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
import respx
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, InputResponses

from bctrl_tools.operations import no_confirmation
from tests.contract import outcome_by_id
from tests.mcp.conftest import INVOCATION_ID, OTHER_ID, ServerFactory, record, text

CANCEL = f"/v1/invocations/{INVOCATION_ID}/cancel"
GET = f"/v1/invocations/{INVOCATION_ID}"
# "auto" speaks 2026-07-28 (input_required rounds); "legacy" the initialize handshake
# (elicitation/create mid-call), as Claude Desktop and Claude Code do today.
ERAS = ["auto", "legacy"]
Action = Literal["accept", "decline", "cancel"]


class User:
    """An elicitation callback that answers every question the same way, and remembers them."""

    def __init__(self, action: Action, content: dict[str, Any] | None = None) -> None:
        self.action = action
        self.content = content
        self.questions: list[str] = []

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult:
        self.questions.append(params.message)
        return ElicitResult(action=self.action, content=self.content)


@pytest.fixture
def bctrl(api: respx.MockRouter) -> respx.MockRouter:
    api.get(GET).respond(200, json=record())
    api.post(CANCEL).respond(200, json=record(status="cancelling"))
    return api


async def cancel(make_server: ServerFactory, mode: str, user: User | None) -> Any:
    server = make_server(confirm=True)
    async with Client(server, mode=mode, elicitation_callback=user) as client:
        return await client.call_tool("cancel_invocation", {"invocation_id": INVOCATION_ID})


@pytest.mark.parametrize("mode", ERAS)
async def test_accepting_cancels(
    make_server: ServerFactory, bctrl: respx.MockRouter, mode: str
) -> None:
    user = User("accept", {"cancel": True})
    result = await cancel(make_server, mode, user)
    assert not result.is_error
    assert result.structured_content["outcome"] == "cancel_requested"
    assert bctrl.routes[1].call_count == 1
    [question] = user.questions
    assert INVOCATION_ID in question
    assert "step 2/3 (page.click)" in question


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize(
    ("action", "content", "phrase"),
    [
        ("decline", None, "declined"),
        ("cancel", None, "dismissed"),
        ("cancel", None, "(confirm=True was set in code)"),  # what switched confirmation on
        ("accept", {"cancel": False}, "declined"),
        # Fails closed: an accept that is not the form we asked with is no yes.
        ("accept", {"cancel": "false"}, "not as the form asked"),
        ("accept", {"cancel": "true"}, "not as the form asked"),
        ("accept", {"cancel": 0}, "not as the form asked"),
        ("accept", {"cancel": 1}, "not as the form asked"),
        ("accept", {"cancel": "no"}, "not as the form asked"),
        ("accept", {"cancel": None}, "not as the form asked"),
        ("accept", {"cancel": ["true"]}, "not as the form asked"),
        ("accept", {"other": 1}, "not as the form asked"),
        ("accept", {"cancel": True, "other": 1}, "not as the form asked"),
        ("accept", {}, "not as the form asked"),
        ("accept", None, "not as the form asked"),
        ("decline", {"cancel": True}, "declined"),
        ("cancel", {"cancel": True}, "dismissed"),
    ],
)
async def test_not_agreeing_refuses_and_sends_nothing(
    make_server: ServerFactory,
    bctrl: respx.MockRouter,
    mode: str,
    action: Action,
    content: dict[str, Any] | None,
    phrase: str,
) -> None:
    result = await cancel(make_server, mode, User(action, content))
    assert result.is_error
    assert result.structured_content["outcome"] == "refused"
    assert phrase in text(result)
    assert bctrl.routes[1].call_count == 0


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_that_cannot_ask_is_refused(
    make_server: ServerFactory, bctrl: respx.MockRouter, mode: str
) -> None:
    result = await cancel(make_server, mode, None)
    assert result.is_error
    assert result.structured_content["outcome"] == "refused"
    assert text(result) == no_confirmation("confirm=True was set in code")
    assert bctrl.routes[1].call_count == 0


@pytest.mark.parametrize("mode", ERAS)
async def test_a_batch_asks_about_each_invocation(
    make_server: ServerFactory, bctrl: respx.MockRouter, mode: str
) -> None:
    bctrl.get(f"/v1/invocations/{OTHER_ID}").respond(200, json=record(OTHER_ID))
    other_cancel = bctrl.post(f"/v1/invocations/{OTHER_ID}/cancel")

    async def user(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        # Yes to the first invocation, no to the other.
        if INVOCATION_ID in params.message:
            return ElicitResult(action="accept", content={"cancel": True})
        return ElicitResult(action="decline")

    arguments = {"invocation_ids": [INVOCATION_ID, OTHER_ID]}
    async with Client(make_server(confirm=True), mode=mode, elicitation_callback=user) as client:
        result = await client.call_tool("cancel_invocations", arguments)
    outcomes = outcome_by_id(result.structured_content)
    assert outcomes == {INVOCATION_ID: "cancel_requested", OTHER_ID: "refused"}
    assert not other_cancel.called


async def test_reads_are_never_confirmed(
    make_server: ServerFactory, bctrl: respx.MockRouter
) -> None:
    user = User("decline")
    async with Client(make_server(confirm=True), elicitation_callback=user) as client:
        result = await client.call_tool("get_invocation", {"invocation_id": INVOCATION_ID})
    assert not result.is_error
    assert user.questions == []


async def test_without_confirm_nobody_is_asked(
    make_server: ServerFactory, bctrl: respx.MockRouter
) -> None:
    user = User("decline")
    async with Client(make_server(), elicitation_callback=user) as client:
        result = await client.call_tool("cancel_invocation", {"invocation_id": INVOCATION_ID})
    assert result.structured_content["outcome"] == "cancel_requested"
    assert user.questions == []


@pytest.mark.parametrize("mode", ERAS)
async def test_only_the_answered_round_is_audited(
    make_server: ServerFactory,
    bctrl: respx.MockRouter,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bctrl_tools.audit")
    await cancel(make_server, mode, User("accept", {"cancel": True}))
    events = [
        (line["event"], line["outcome"])
        for line in (json.loads(r.getMessage()) for r in caplog.records)
        if line["invocation_id"] == INVOCATION_ID
    ]
    assert events == [("request", None), ("result", "cancel_requested")]


def test_only_answers_to_questions_asked_last_round_count() -> None:
    from mcp_server.confirmation import _answers

    accept = ElicitResult(action="accept", content={"cancel": True})
    responses: InputResponses = {
        "cancel:asked": accept,
        "cancel:never-asked": accept,
        "other:asked": accept,
    }
    assert _answers(responses, ["asked"]) == {"asked": "accept"}
    assert _answers(responses, []) == {}


def test_the_form_requires_a_strict_boolean() -> None:
    from mcp_server.confirmation import APPROVAL_SCHEMA

    assert APPROVAL_SCHEMA["required"] == ["cancel"]
    assert APPROVAL_SCHEMA["additionalProperties"] is False
    assert APPROVAL_SCHEMA["properties"]["cancel"]["type"] == "boolean"
    assert APPROVAL_SCHEMA["properties"]["cancel"]["default"] is True  # shown ticked


async def first_round(client: Client, arguments: dict[str, Any]) -> Any:
    """Call once and return the input_required answer, without answering it."""
    result = await client.session.call_tool(
        "cancel_invocation", arguments, allow_input_required=True
    )
    assert result.result_type == "input_required"
    return result


async def test_an_answer_is_used_once(make_server: ServerFactory, bctrl: respx.MockRouter) -> None:
    arguments = {"invocation_id": INVOCATION_ID}
    yes: InputResponses = {
        f"cancel:{INVOCATION_ID}": ElicitResult(action="accept", content={"cancel": True})
    }
    async with Client(make_server(confirm=True), elicitation_callback=User("accept")) as client:
        asked = await first_round(client, arguments)
        answers = {"input_responses": yes, "request_state": asked.request_state}
        first = await client.session.call_tool("cancel_invocation", arguments, **answers)
        replayed = await client.session.call_tool("cancel_invocation", arguments, **answers)
    assert first.structured_content["outcome"] == "cancel_requested"
    assert replayed.structured_content["outcome"] == "refused"
    assert "already used once" in text(replayed)
    assert bctrl.routes[1].call_count == 1


async def test_an_answer_counts_only_for_the_call_it_was_asked_for(
    make_server: ServerFactory, bctrl: respx.MockRouter
) -> None:
    from mcp.shared.exceptions import MCPError

    other = bctrl.post(f"/v1/invocations/{OTHER_ID}/cancel")
    yes: InputResponses = {
        f"cancel:{INVOCATION_ID}": ElicitResult(action="accept", content={"cancel": True})
    }
    async with Client(make_server(confirm=True), elicitation_callback=User("accept")) as client:
        asked = await first_round(client, {"invocation_id": INVOCATION_ID})
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await client.session.call_tool(
                "cancel_invocation",
                {"invocation_id": OTHER_ID},
                input_responses=yes,
                request_state=asked.request_state,
            )
    assert not other.called
    assert bctrl.routes[1].call_count == 0
