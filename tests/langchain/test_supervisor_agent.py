"""A LangGraph agent supervising a real sandbox run: list with runaway filters, cancel what
was found, list again to verify. Its scripted model reads each tool result to decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.sandbox.process import SandboxProcess
from tests.integration.runaway_runs import RULES, RunawayRun, make_runaway_runs
from tests.langchain.agent import build_agent, calls
from tests.langchain.calls import MODES, Mode
from tests.langchain.conftest import status_of

pytestmark = pytest.mark.integration


class Supervisor(BaseChatModel):
    """A model that acts on what the tools answered: the supervisor's loop, scripted."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.decide(messages))])

    @staticmethod
    def decide(messages: Sequence[BaseMessage]) -> AIMessage:
        results = [message for message in messages if isinstance(message, ToolMessage)]
        if not results:
            return calls(("list_invocations", {"invocation_id": "self", **RULES}))
        last = results[-1]
        if last.name == "list_invocations" and len(results) == 1:
            found = [i["id"] for i in last.artifact["items"] if not i["is_self"]]
            found += last.artifact["other_ids"]
            return calls(("cancel_invocations", {"invocation_ids": found, "reason": "runaway"}))
        if last.name == "cancel_invocations":
            verify = {"invocation_id": "self", "status": ["cancelling", "cancelled"]}
            return calls(("list_invocations", verify))
        return AIMessage(content="The runaway invocations are stopping.")

    def bind_tools(
        self, tools: Sequence[dict[str, Any] | type | BaseTool | Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self

    @property
    def _llm_type(self) -> str:
        return "scripted-supervisor"


@pytest.fixture(scope="module")
def runs(sandbox: SandboxProcess) -> dict[Mode, RunawayRun]:
    return dict(zip(MODES, make_runaway_runs(sandbox, len(MODES)), strict=True))


@pytest.mark.parametrize("mode", MODES)
async def test_the_agent_finds_and_stops_exactly_the_runaways(
    sandbox: SandboxProcess, runs: dict[Mode, RunawayRun], mode: Mode
) -> None:
    run = runs[mode]
    toolkit = BctrlToolkit(
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        guardrails=Guardrails(self_invocation_id=run.anchor_id),
    )
    agent = build_agent(Supervisor(), toolkit.get_tools())
    state: dict[str, Any] = {"messages": [HumanMessage("Stop whatever in my run ran away.")]}
    try:
        result = agent.invoke(state) if mode == "sync" else await agent.ainvoke(state)
    finally:
        await toolkit.aclose()
    results = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [m.name for m in results] == [
        "list_invocations",
        "cancel_invocations",
        "list_invocations",
    ]
    found, cancelled, verified = results
    assert found.status == cancelled.status == verified.status == "success"
    assert {item["id"] for item in found.artifact["items"]} == run.runaway_ids
    assert set(cancelled.artifact["counts"]) == {"cancel_requested"}
    assert {item["id"] for item in verified.artifact["items"]} == run.runaway_ids
    assert {status_of(sandbox, i) for i in run.runaway_ids} <= {"cancelling", "cancelled"}
    assert {status_of(sandbox, i) for i in run.healthy_ids} <= {"queued", "dispatching", "running"}
