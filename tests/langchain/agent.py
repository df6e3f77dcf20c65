"""A minimal LangGraph tool-calling agent, driven by a scripted chat model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition

Update = dict[str, list[BaseMessage]]


class ScriptedChatModel(GenericFakeChatModel):
    """Answers with the scripted messages in turn; binding tools changes nothing."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self


def script(*turns: AIMessage | str) -> ScriptedChatModel:
    return ScriptedChatModel(messages=iter(turns))


def calls(*tool_calls: tuple[str, dict[str, Any]]) -> AIMessage:
    """One model turn that calls these tools."""
    return AIMessage(
        content="",
        tool_calls=[
            {"name": name, "args": args, "id": f"call-{n}", "type": "tool_call"}
            for n, (name, args) in enumerate(tool_calls)
        ],
    )


def build_agent(model: BaseChatModel, tools: Sequence[BaseTool]) -> CompiledStateGraph[Any]:
    """model -> tools -> model ... until the model answers without a tool call."""
    bound = model.bind_tools(tools)

    def think(state: MessagesState) -> Update:
        return {"messages": [bound.invoke(state["messages"])]}

    async def athink(state: MessagesState) -> Update:
        return {"messages": [await bound.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", RunnableLambda(think, afunc=athink))
    graph.add_node("tools", ToolNode(tools))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()
