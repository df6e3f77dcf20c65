"""Each shared :class:`~bctrl_tools.spec.ToolSpec` as an MCPServer tool: translated, not restated.

``MCPServer`` normally derives a tool from a function signature: its input schema from
the parameters, its validation from a model built from them. Our tools already have an
input model, so a :class:`SpecTool` is registered instead: a ``Tool`` whose schema is
``spec.input_schema()`` exactly, whose output schema is the spec's output model's, and
whose ``run`` hands the raw arguments to ``spec.parse``, so that bad arguments come
back with the spec's curated message rather than a pydantic dump.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations

from bctrl_tools.spec import ToolHints, ToolInputError, ToolSpec, input_error_result
from mcp_server.confirmation import Asking, Claims, UsedOnce, ask_for
from mcp_server.lifespan import operations_of
from mcp_server.missing_key import NoKeyCall
from mcp_server.progress import BatchProgress
from mcp_server.results import call_result

__all__ = ["SpecTool", "spec_tool", "tool_annotations"]

Answer = CallToolResult | InputRequiredResult


class SpecTool(Tool):
    """A ``Tool`` that validates with its spec's input model, not with a signature."""

    async def run(
        self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False
    ) -> Answer:
        # Bypasses Tool.run's signature-based validation and result conversion on purpose:
        # SpecCall parses with the spec and always answers a finished CallToolResult.
        answer: Answer = await self.fn(arguments, context)
        return answer


@dataclass(frozen=True)
class SpecCall:
    """One tool call: parse, run the spec (asking and reporting progress), translate."""

    spec: ToolSpec[Any, Any]
    claims: Claims  # where a confirmation round is marked used

    async def __call__(self, arguments: dict[str, Any], context: Context[Any, Any]) -> Answer:
        try:
            parsed = self.spec.parse(_decode_json_strings(arguments, self.spec))
        except ToolInputError as error:
            return call_result(input_error_result(self.spec, error))
        operations = operations_of(context)
        asking = ask_for(context, self.claims) if operations.guardrails.confirm else None
        progress = BatchProgress(context, skip=asking.is_waiting if asking else _never)
        # spec.arun never raises: failures, bugs included, come back as error results.
        result = await self.spec.arun(operations, parsed, confirm=asking, on_result=progress)
        return _waiting(asking) or call_result(result)


def spec_tool(
    spec: ToolSpec[Any, Any], claims: Claims | None = None, *, has_key: bool = True
) -> SpecTool:
    """The MCP tool for ``spec``: every name, text and schema taken from it.

    Without a key (``has_key=False``) it is listed the same, and every call answers how
    to set the key.
    """
    call = SpecCall(spec, claims if claims is not None else UsedOnce())
    return SpecTool(
        fn=call if has_key else NoKeyCall(spec),
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=spec.input_schema(),
        # The argument model is never used (SpecTool.run parses with the spec); the
        # output schema is what tools/list advertises.
        fn_metadata=FuncMetadata(
            arg_model=ArgModelBase, output_schema=spec.output_model.model_json_schema()
        ),
        is_async=True,
        annotations=tool_annotations(spec.title, spec.hints),
    )


def tool_annotations(title: str, hints: ToolHints) -> ToolAnnotations:
    """The spec's hints, which are named after these annotations, one for one."""
    return ToolAnnotations(
        title=title,  # older clients read the title only from here
        read_only_hint=hints.read_only,
        destructive_hint=hints.destructive,
        idempotent_hint=hints.idempotent,
        open_world_hint=hints.open_world,
    )


def _waiting(asking: Asking | None) -> InputRequiredResult | None:
    return asking.input_required() if asking is not None else None


def _never(invocation_id: str) -> bool:
    return False


def _decode_json_strings(arguments: dict[str, Any], spec: ToolSpec[Any, Any]) -> dict[str, Any]:
    """Decode array and object arguments that a client sent as JSON text.

    Some clients (Claude Desktop among them) send ``["a", "b"]`` as the string
    '["a", "b"]'. Which arguments are arrays or objects is read from the spec's schema.
    """
    properties: dict[str, Any] = spec.input_schema().get("properties", {})
    decoded = dict(arguments)
    for name, value in arguments.items():
        kind = properties.get(name, {}).get("type")
        if isinstance(value, str) and kind in {"array", "object"}:
            try:
                parsed = json.loads(value)
            except ValueError:
                continue  # not JSON after all: the input model says what is wrong
            except RecursionError:  # thousands of "[": refused as bad input, not a crash
                fields = ", ".join(spec.input_model.model_fields)
                raise ToolInputError(
                    f"Invalid arguments for {spec.name}: {name}: the JSON text is nested too "
                    f"deeply to read; send a flat list. It takes a JSON object with: {fields}. "
                    "Nothing was done."
                ) from None
            if isinstance(parsed, list | dict):
                decoded[name] = parsed
    return decoded
