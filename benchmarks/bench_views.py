"""10. What the model sees: the characters (and tokens) of each host view of a result.

A tool result reaches a model in one of three ways (``tests/views.py``): the JSON of
``structuredContent`` (Claude Code, VS Code), the text blocks (Claude Desktop, Cursor),
or ``ToolMessage.content`` (LangChain). Each is measured for the calls issue 9 bounds,
against its limit there, and ``tools/list`` as a whole, which every session pays up front.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from benchmarks.results import Comparison, Goal, Section
from benchmarks.servers import Servers, Target
from tests.views import HostViews, views

SINGLE_LIMIT = 2_000  # a single cancel or get of a normal record
FULL_LIMIT = 50_000  # get_invocation with detail "full"
BATCH_LIMIT = 40_000  # cancel_invocations with 500 ids
BATCH_SIZE = 500
WITHIN = Goal("ratio_at_most", 1.0)

EXPLANATION = f"""\
Each row is one call against the canned server (its record is a real sandbox answer),
made once through the MCP server in-process (`mcp.Client(create_server(...))`) and once
through the LangChain tool (`tool.invoke(tool_call)`), with `Guardrails()`. "ours" is the
view's length in characters, "baseline" the limit issue 9 sets for it ({SINGLE_LIMIT:,}
for a single cancel or get, {FULL_LIMIT:,} for a full get, {BATCH_LIMIT:,} for a batch of
{BATCH_SIZE}); the samples column gives the estimated tokens (characters / 4). The
structured-first view is `JSON.stringify(structuredContent)`, the content-first view
the text blocks, the LangChain view `ToolMessage.content`. Deterministic: one sample.

Before issue 9 (measured on the same canned server): the batch of 500 was 745,598
characters structured-first (about 186,000 tokens, over Claude Code's 25,000-token
refusal limit: every item carried its full record), a single cancel 1,490 and a get
1,447 (the raw record), and tools/list 9,451. Since, results carry a summary instead of
the record and a batch only grouped ids; tools/list for the same three tools grew to
17,157 characters, three quarters of it the output schemas (they describe the summary's
fields; hosts use them to validate results, and show them to a model only if they
choose to). With list_invocations (issue 11) it is the note below.
A batch's text views are one line when every id was stopped; when none is (the last
rows: no cancel budget), every view names all 500 ids with their outcome and reason."""


@dataclass(frozen=True)
class Measured:
    what: str
    limit: int | None
    shown: HostViews


def _tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "args": arguments, "id": "call_1", "type": "tool_call"}


async def _calls(target: Target) -> tuple[list[Measured], list[str]]:
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from mcp import Client

    from bctrl_tools.langchain import BctrlToolkit
    from mcp_server import create_server

    settings = ClientSettings(api_key=target.api_key, base_url=target.base_url)
    toolkit = BctrlToolkit(
        api_key=target.api_key, base_url=target.base_url, guardrails=Guardrails()
    )
    tools = {tool.name: tool for tool in toolkit.get_tools()}
    one = str(uuid.uuid4())
    batch = [str(uuid.uuid4()) for _ in range(BATCH_SIZE)]
    many = {"invocation_ids": batch}
    plan: list[tuple[str, int | None, str, dict[str, Any]]] = [
        ("single cancel", SINGLE_LIMIT, "cancel_invocation", {"invocation_id": one}),
        ("get, summary", SINGLE_LIMIT, "get_invocation", {"invocation_id": one}),
        ("get, full", FULL_LIMIT, "get_invocation", {"invocation_id": one, "detail": "full"}),
        (f"batch of {BATCH_SIZE}", BATCH_LIMIT, "cancel_invocations", many),
    ]
    measured = []
    async with Client(create_server(settings=settings, guardrails=Guardrails())) as client:
        for what, limit, name, arguments in plan:
            result = await client.call_tool(name, arguments)
            message = await tools[name].ainvoke(_tool_call(name, arguments))
            measured.append(Measured(what, limit, views(result, message)))
        listed = (await client.list_tools()).model_dump(mode="json", by_alias=True)
    await toolkit.aclose()
    measured.append(await _none_stopped(target, many))
    mcp_chars = len(json.dumps(listed["tools"], separators=(",", ":")))
    openai = [convert_to_openai_tool(tool) for tool in tools.values()]
    langchain_chars = len(json.dumps(openai, separators=(",", ":")))
    notes = [
        f"tools/list, all {len(tools)} tools: MCP {mcp_chars:,} chars (≈{mcp_chars // 4:,} "
        f"tokens); LangChain as OpenAI tools {langchain_chars:,} chars "
        f"(≈{langchain_chars // 4:,} tokens)"
    ]
    return measured, notes


def _rows(measured: list[Measured], target: Target) -> list[Comparison]:
    rows = []
    for item in measured:
        for view, text in item.shown.named().items():
            chars = len(text)
            limit = item.limit or chars
            rows.append(
                Comparison(
                    what=f"{item.what}: {view}",
                    target=target.label,
                    ours="chars",
                    baseline="issue 9 limit",
                    ours_value=chars,
                    baseline_value=limit,
                    unit="chars",
                    ratio=chars / limit,
                    samples=f"≈{chars // 4:,} tokens",
                    goal=WITHIN if item.limit else None,
                )
            )
    return rows


async def _none_stopped(target: Target, arguments: dict[str, Any]) -> Measured:
    """The batch's worst case: nothing stopped (no budget), so every view names all 500."""
    from mcp import Client

    from bctrl_tools.langchain import BctrlToolkit
    from mcp_server import create_server

    rails = Guardrails(max_cancels=0)
    settings = ClientSettings(api_key=target.api_key, base_url=target.base_url)
    toolkit = BctrlToolkit(api_key=target.api_key, base_url=target.base_url, guardrails=rails)
    [tool] = [t for t in toolkit.get_tools() if t.name == "cancel_invocations"]
    async with Client(create_server(settings=settings, guardrails=rails)) as client:
        result = await client.call_tool(tool.name, arguments)
    message = await tool.ainvoke(_tool_call(tool.name, arguments))
    await toolkit.aclose()
    what = f"batch of {BATCH_SIZE}, none stopped"
    return Measured(what, BATCH_LIMIT, views(result, message))


def run(servers: Servers, quick: bool) -> Section:
    import anyio

    target = servers.target("canned", ids=0)
    measured, notes = anyio.run(_calls, target)
    return Section(
        "views",
        "10. What the model sees: characters of each host view",
        comparisons=_rows(measured, target),
        notes=notes,
        explanation=EXPLANATION,
    )
