"""What the model sees of each tool: exactly the spec's name, description and schema.

Snapshots hold ``convert_to_openai_tool(tool)``; regenerate them with
``UPDATE_SNAPSHOTS=1 pytest tests/langchain/test_schema.py`` (each rewritten snapshot
fails its test, saying so) and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool

from bctrl_tools.langchain.tools import TOOL_CLASSES, BctrlTool
from bctrl_tools.spec import TOOL_SPECS
from tests.langchain.conftest import BASE_URL, CANARY_KEY

SNAPSHOTS = Path(__file__).parent / "snapshots"
NAMES = sorted(TOOL_CLASSES)


def seen_by_model(name: str) -> dict[str, Any]:
    tool: BctrlTool = TOOL_CLASSES[name](api_key=CANARY_KEY, base_url=BASE_URL)
    return convert_to_openai_tool(tool)


def without_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's schema less its generated titles, which LangChain strips too."""
    properties = {
        name: {key: value for key, value in field.items() if key != "title"}
        for name, field in schema["properties"].items()
    }
    return {**{k: v for k, v in schema.items() if k != "title"}, "properties": properties}


def walk(node: object) -> list[dict[str, Any]]:
    """Every JSON object in a schema, nested ones included."""
    if isinstance(node, list):
        return [found for item in node for found in walk(item)]
    if not isinstance(node, dict):
        return []
    return [node, *(found for value in node.values() for found in walk(value))]


def test_every_spec_has_a_tool_class() -> None:
    assert {name: cls.spec for name, cls in TOOL_CLASSES.items()} == {
        spec.name: spec for spec in TOOL_SPECS
    }


@pytest.mark.parametrize("name", NAMES)
def test_the_schema_matches_its_snapshot(name: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    current = seen_by_model(name)
    stored = json.loads(path.read_text()) if path.exists() else None
    if current != stored and os.environ.get("UPDATE_SNAPSHOTS") == "1":
        # Writing it and then comparing it with itself would pass without checking anything.
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        pytest.fail(f"{path.name} updated, not checked: review the diff, then run again.")
    assert current == stored, f"{path.name} changed; see module doc"


@pytest.mark.parametrize("name", NAMES)
def test_the_model_sees_the_spec_untouched(name: str) -> None:
    spec = TOOL_CLASSES[name].spec
    function = seen_by_model(name)["function"]
    assert function["name"] == spec.name
    assert function["description"] == spec.description
    assert function["parameters"] == without_titles(spec.input_schema())


@pytest.mark.parametrize("name", NAMES)
def test_the_schema_is_portable_across_providers(name: str) -> None:
    parameters = seen_by_model(name)["function"]["parameters"]
    assert parameters["type"] == "object"
    assert parameters["additionalProperties"] is False
    assert parameters["properties"]
    for field in parameters["properties"].values():
        assert field.get("description"), field
    for node in walk(parameters):
        assert not {"$ref", "$defs", "anyOf", "oneOf", "allOf"} & node.keys(), node
        assert not isinstance(node.get("type"), list), node
