"""End to end: a LangGraph agent whose scripted model calls the tools on the real sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.sandbox.process import SandboxProcess
from tests.langchain.agent import build_agent, calls, script
from tests.langchain.calls import MODES, Mode
from tests.langchain.conftest import status_of

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("mode", MODES)]

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def run_agent(
    mode: Mode, sandbox: SandboxProcess, *turns: AIMessage | str
) -> list[BaseMessage]:
    toolkit = BctrlToolkit(api_key=sandbox.api_key, base_url=sandbox.base_url)
    agent = build_agent(script(*turns), toolkit.get_tools())
    state: dict[str, Any] = {"messages": [HumanMessage("Stop the runaway invocation.")]}
    try:
        if mode == "sync":
            result = agent.invoke(state)
        else:
            result = await agent.ainvoke(state)
    finally:
        await toolkit.aclose()
    messages: list[BaseMessage] = result["messages"]
    return messages


def tool_messages(messages: list[BaseMessage]) -> list[ToolMessage]:
    return [message for message in messages if isinstance(message, ToolMessage)]


async def test_the_agent_cancels_a_running_invocation(
    sandbox: SandboxProcess, running_id: str, mode: Mode
) -> None:
    messages = await run_agent(
        mode,
        sandbox,
        calls(("cancel_invocation", {"invocation_id": running_id, "reason": "runaway"})),
        "I asked bctrl to stop it.",
    )
    [result] = tool_messages(messages)
    assert result.status == "success"
    assert result.artifact["outcome"] == "cancel_requested"
    assert result.artifact["invocation"]["id"] == running_id
    assert isinstance(messages[-1], AIMessage)
    assert status_of(sandbox, running_id) in {"cancelling", "cancelled"}


async def test_bad_calls_come_back_as_error_messages_and_the_run_completes(
    sandbox: SandboxProcess, mode: Mode
) -> None:
    messages = await run_agent(
        mode,
        sandbox,
        calls(
            ("cancel_invocation", {"invocation_id": "../../admin"}),
            ("get_invocation", {"invocation_id": UNKNOWN_ID}),
            ("cancel_invocation", {"invocation_id": UNKNOWN_ID}),
            ("cancel_invocations", {"ids": [UNKNOWN_ID]}),
        ),
        "Those ids did not work.",
    )
    results = tool_messages(messages)
    assert [message.status for message in results] == ["error"] * 4
    bad_id, unknown_get, unknown_cancel, bad_args = (str(m.content) for m in results)
    assert "Invalid invocation id" in bad_id
    assert "HTTP 404" in unknown_get
    assert "HTTP 404" in unknown_cancel
    assert "Invalid arguments for cancel_invocations" in bad_args
    assert all("Traceback" not in str(m.content) for m in results)
    assert messages[-1].content == "Those ids did not work."
