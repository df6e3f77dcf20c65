"""The tool-result contract, checked: every result fits the output schema its tool advertises.

Hosts built on the official TypeScript SDK reject a ``structuredContent`` that does not
match the tool's ``outputSchema``, errors included, so every test that produces a result
can hand it here. ``schema`` is what the tool advertised (from tools/list); without
one, the spec's own ``output_model.model_json_schema()`` is used, which is what the MCP
server advertises.
"""

from __future__ import annotations

from typing import Any

import jsonschema

from bctrl_tools.spec import TOOL_SPECS, ToolResult

__all__ = ["OUTPUT_SCHEMAS", "assert_fits_output_schema", "assert_result_fits"]

OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    spec.name: spec.output_model.model_json_schema() for spec in TOOL_SPECS
}


def assert_fits_output_schema(tool: str, data: Any, schema: dict[str, Any] | None = None) -> None:
    """Fail, naming the first violation, unless ``data`` fits ``tool``'s output schema."""
    schema = OUTPUT_SCHEMAS[tool] if schema is None else schema
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(data), key=lambda error: list(error.path))
    assert not problems, f"{tool}'s result does not fit its output schema: " + "; ".join(
        f"{list(p.path)}: {p.message}" for p in problems[:3]
    )


def assert_result_fits(tool: str, result: ToolResult) -> None:
    """A spec's :class:`ToolResult`: its data fits, and its text is the data's message."""
    assert_fits_output_schema(tool, result.data)
    assert result.data["message"] == result.text
    assert result.data["is_error"] is result.is_error
