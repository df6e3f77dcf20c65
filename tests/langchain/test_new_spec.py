"""A spec with no hand-written LangChain class still becomes a working tool."""

from __future__ import annotations

import dataclasses

import respx
from langchain_core.messages import ToolMessage

from bctrl_tools.langchain.tools import TOOL_CLASSES, BctrlTool, tool_class
from bctrl_tools.spec import GET_INVOCATION, TOOL_SPECS
from tests.conftest import MOCK_BASE_URL
from tests.langchain.conftest import CANARY_KEY, INVOCATION_ID, record

# A new read-only tool, as a maintainer would add one: a spec, and nothing in the face.
PEEK = dataclasses.replace(
    GET_INVOCATION, name="peek_invocation", title="Peek", description="Peek at one invocation."
)


def test_every_spec_has_a_class() -> None:
    assert sorted(TOOL_CLASSES) == sorted(spec.name for spec in TOOL_SPECS)
    assert all(TOOL_CLASSES[spec.name].spec is spec for spec in TOOL_SPECS)


def test_a_spec_without_a_named_class_is_translated_whole(api: respx.MockRouter) -> None:
    cls = tool_class(PEEK)
    assert cls is tool_class(PEEK)  # made once
    assert cls.__name__ == "PeekInvocationTool"
    api.get(f"/v1/invocations/{INVOCATION_ID}").respond(json=record("running"))
    tool = cls(api_key=CANARY_KEY, base_url=MOCK_BASE_URL)
    assert isinstance(tool, BctrlTool)
    assert (tool.name, tool.description) == ("peek_invocation", "Peek at one invocation.")
    assert tool.tool_call_schema is GET_INVOCATION.input_model
    call = {"type": "tool_call", "id": "call_1", "name": tool.name}
    message = tool.invoke({**call, "args": {"invocation_id": INVOCATION_ID}})
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    assert INVOCATION_ID in str(message.content)
    assert message.artifact["record"]["status"] == "running"  # the full record, for programs
    # Bad arguments get the spec's curated message, named after the new tool.
    refused = tool.invoke({**call, "args": {"wrong": 1}})
    assert "Invalid arguments for peek_invocation" in str(refused.content)
