"""Both faces show the model the same tools: names, descriptions, input properties, hints."""

from __future__ import annotations

from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool
from mcp import Client

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.spec import TOOL_SPECS, offered_specs
from mcp_server import create_server
from tests.contract import READ_ONLY_TOOLS

SETTINGS = ClientSettings(api_key="k", base_url="https://api.bctrl.test")


def langchain_view(guardrails: Guardrails) -> dict[str, dict[str, Any]]:
    toolkit = BctrlToolkit(api_key="k", base_url="https://api.bctrl.test", guardrails=guardrails)
    tools = [convert_to_openai_tool(tool)["function"] for tool in toolkit.get_tools()]
    toolkit.close()
    return {tool["name"]: tool for tool in tools}


async def mcp_view(guardrails: Guardrails) -> dict[str, Any]:
    server = create_server(settings=SETTINGS, guardrails=guardrails)
    async with Client(server) as client:
        listed = await client.list_tools()
    return {tool.name: tool for tool in listed.tools}


def properties(schema: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {name: (p.get("type", ""), p["description"]) for name, p in schema["properties"].items()}


async def test_names_descriptions_and_inputs_match_the_spec() -> None:
    rails = Guardrails()
    langchain, mcp = langchain_view(rails), await mcp_view(rails)
    assert list(langchain) == list(mcp) == [spec.name for spec in TOOL_SPECS]
    for spec in TOOL_SPECS:
        expected = properties(spec.input_schema())
        assert langchain[spec.name]["description"] == mcp[spec.name].description == spec.description
        assert properties(langchain[spec.name]["parameters"]) == expected
        assert properties(mcp[spec.name].input_schema) == expected
        # A schema whose fields all have defaults (list_invocations) has no "required".
        assert (
            langchain[spec.name]["parameters"].get("required", [])
            == mcp[spec.name].input_schema.get("required", [])
            == spec.input_schema().get("required", [])
        )
        hints = mcp[spec.name].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint) == (
            spec.hints.read_only,
            spec.hints.destructive,
        )


async def test_read_only_offers_the_same_tools_on_both_faces() -> None:
    rails = Guardrails(read_only=True)
    expected = [spec.name for spec in offered_specs(rails)]
    assert list(langchain_view(rails)) == list(await mcp_view(rails)) == expected == READ_ONLY_TOOLS
