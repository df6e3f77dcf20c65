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

from bctrl_tools.spec import TOOL_SPECS, ToolResult, ToolSpec

__all__ = [
    "OUTPUT_SCHEMAS",
    "READ_ONLY_TOOLS",
    "TOOLS",
    "assert_fits_output_schema",
    "assert_result_fits",
    "example_arguments",
    "outcome_by_id",
]

EXAMPLE_ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"

# The tool set, from the specs: tests never restate it (the schema snapshots aside).
TOOLS = [spec.name for spec in TOOL_SPECS]
READ_ONLY_TOOLS = [spec.name for spec in TOOL_SPECS if spec.hints.read_only]
assert READ_ONLY_TOOLS, "read-only mode would offer nothing"

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
    """A spec's :class:`ToolResult`: its data fits, and its text starts with the data's
    message (a batch's text goes on to name every id not stopped, a full get's to hold
    the record)."""
    assert_fits_output_schema(tool, result.data)
    assert result.text.startswith(result.data["message"])
    assert result.data["is_error"] is result.is_error


def outcome_by_id(batch: dict[str, Any]) -> dict[str, str]:
    """A cancel_invocations result's outcome for each id, read from its groups."""
    groups = [*batch["stopped"], *batch["not_stopped"]]
    return {i: group["outcome"] for group in groups for i in group["invocation_ids"]}


def example_arguments(spec: ToolSpec[Any, Any], invocation_id: str = EXAMPLE_ID) -> dict[str, Any]:
    """Valid arguments for any tool: its required fields, filled in from their names."""
    arguments: dict[str, Any] = {}
    for name, field in spec.input_model.model_fields.items():
        # An optional invocation_id (list_invocations: it or run_id) is filled in too.
        if not field.is_required() and name != "invocation_id":
            continue
        if name == "invocation_id":
            arguments[name] = invocation_id
        elif name == "invocation_ids":
            arguments[name] = [invocation_id]
        else:
            raise AssertionError(f"example_arguments: teach it {spec.name}'s {name!r}")
    spec.parse(arguments)  # valid, or this helper is out of date
    return arguments
