"""A LangGraph agent that inspects bctrl invocations and cancels the one that ran away.

Offline by default: it starts its own sandbox (a local bctrl-compatible server), launches
a quick invocation and a runaway one, and lets a scripted model drive the bctrl tools::

    python examples/langchain_agent.py

With ``BCTRL_BASE_URL`` (and ``BCTRL_API_KEY``) set it uses that server instead; it must
be a sandbox (``make sandbox``), since the example creates invocations on it. With
``--model`` a real model drives the same tools (needs ``pip install langchain`` and the
provider's package, e.g. ``langchain-openai``, and that provider's API key)::

    python examples/langchain_agent.py --model openai:gpt-4o-mini
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from bctrl_tools import BctrlClient, BctrlError, ClientSettings
from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.sandbox.process import SandboxProcess, create_invocation

QUICK_RUN_SECONDS = 0.3
RUNAWAY_RUN_SECONDS = 3600.0
CANCEL_WAIT_SECONDS = 5
TASK = (
    "These bctrl invocations should each finish in under a second: {ids}. Inspect each "
    "one, cancel any that has not finished (give a reason), and tell me what you did."
)


# --- the agent ------------------------------------------------------------------------


def build_agent(model: BaseChatModel, tools: Sequence[BaseTool]) -> CompiledStateGraph[Any]:
    """A tool-calling loop: the model, then its tool calls, until it answers in words."""
    bound = model.bind_tools(tools)

    def think(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [bound.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", RunnableLambda(think))
    graph.add_node("tools", ToolNode(tools))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()


class ScriptedSupervisor(BaseChatModel):
    """Stands in for a model offline: inspect every id, cancel the unfinished, report.

    It reads the tools' artifacts, where a real model would read the one-line results.
    """

    invocation_ids: list[str]

    @property
    def _llm_type(self) -> str:
        return "scripted-supervisor"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self  # it knows its tools already

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next_turn(messages))])

    def _next_turn(self, messages: list[BaseMessage]) -> AIMessage:
        results = [message for message in messages if isinstance(message, ToolMessage)]
        reports = [
            (result.artifact or {}).get("invocation")  # the summary a model also sees
            for result in results
            if result.name == "get_invocation"
        ]
        if not reports:
            return _calls("get_invocation", [{"invocation_id": i} for i in self.invocation_ids])
        unfinished = [r["id"] for r in reports if r and not r["is_terminal"]]
        if unfinished and not any(result.name == "cancel_invocation" for result in results):
            reason = "still going long after it should have finished"
            args = [
                {"invocation_id": i, "wait_seconds": CANCEL_WAIT_SECONDS, "reason": reason}
                for i in unfinished
            ]
            return _calls("cancel_invocation", args)
        finished = [r["id"] for r in reports if r and r["is_terminal"]]
        return AIMessage(
            content=f"Cancelled {_listed(unfinished)}; {_listed(finished)} had finished on its own."
        )


def _calls(tool: str, arguments: list[dict[str, Any]]) -> AIMessage:
    tool_calls = [
        {"name": tool, "args": args, "id": f"{tool}-{n}", "type": "tool_call"}
        for n, args in enumerate(arguments)
    ]
    return AIMessage(content="", tool_calls=tool_calls)


def _listed(ids: list[str]) -> str:
    return ", ".join(ids) or "nothing"


# --- printing the conversation ----------------------------------------------------------


def show(message: BaseMessage) -> None:
    """One readable line per message, tool call or tool result."""
    if isinstance(message, ToolMessage):
        mark = "error" if message.status == "error" else "ok"
        print(f"  tool  < {message.name} [{mark}]: {message.content}")
    elif isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            args = ", ".join(f"{key}={value!r}" for key, value in call["args"].items())
            print(f"  model > {call['name']}({args})")
    else:
        who = "user " if isinstance(message, HumanMessage) else "model"
        print(f"  {who} : {message.content}")


# --- running it -------------------------------------------------------------------------


def launch(base_url: str, api_key: str) -> tuple[str, str]:
    """A quick invocation (waited for until it finishes) and a runaway one."""
    quick = str(create_invocation(base_url, api_key, run_seconds=QUICK_RUN_SECONDS)["id"])
    runaway = str(create_invocation(base_url, api_key, run_seconds=RUNAWAY_RUN_SECONDS)["id"])
    with BctrlClient(api_key=api_key, base_url=base_url) as client:
        client.wait_for_invocation(quick, timeout_ms=5_000)
    print(f"Launched {quick} (quick) and {runaway} (runaway) on {base_url}\n")
    return quick, runaway


def run(base_url: str, api_key: str, *, model: BaseChatModel | None = None) -> None:
    """Launch two invocations on the sandbox at ``base_url`` and let an agent deal with them."""
    ids = list(launch(base_url, api_key))
    toolkit = BctrlToolkit(api_key=api_key, base_url=base_url)
    try:
        agent = build_agent(model or ScriptedSupervisor(invocation_ids=ids), toolkit.get_tools())
        task = HumanMessage(TASK.format(ids=", ".join(ids)))
        show(task)
        for update in agent.stream({"messages": [task]}, stream_mode="updates"):
            for node in update.values():
                for message in node["messages"]:
                    show(message)
    finally:
        toolkit.close()
    with BctrlClient(api_key=api_key, base_url=base_url) as client:
        states = ", ".join(f"{i} is {client.get_invocation(i).status}" for i in ids)
    print(f"\nChecked directly: {states}.")


def load_model(name: str) -> BaseChatModel | None:
    """A real chat model through ``langchain``'s ``init_chat_model``, or None with a reason."""
    try:
        chat_models = importlib.import_module("langchain.chat_models")
    except ImportError:
        print('--model needs the langchain package: pip install langchain "langchain-<provider>"')
        return None
    try:
        model: BaseChatModel = chat_models.init_chat_model(name)
    except (ImportError, ValueError) as exc:
        print(f"Could not load model {name!r}: {exc}")
        return None
    return model


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--model",
        metavar="PROVIDER:MODEL",
        help="drive the tools with a real model, e.g. openai:gpt-4o-mini (default: scripted)",
    )
    options = parser.parse_args(argv)
    model = load_model(options.model) if options.model else None
    if options.model and model is None:
        return 1
    try:
        if os.environ.get("BCTRL_BASE_URL"):
            settings = ClientSettings.resolve()
            run(settings.base_url, settings.api_key.get_secret_value(), model=model)
        else:
            with SandboxProcess(cancel_grace_ms=300) as sandbox:
                run(sandbox.base_url, sandbox.api_key, model=model)
    except BctrlError as exc:
        print(f"bctrl: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
