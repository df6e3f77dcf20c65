"""The output models' contract, for every spec: any error fits the tool's output schema."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from pydantic import Field

from bctrl_tools import ClientSettings
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.spec import TOOL_SPECS, ToolInputError, ToolSpec, input_error_result
from bctrl_tools.tool_output import ErrorInfo, ToolOutput
from tests.contract import assert_result_fits, example_arguments
from tests.unit.conftest import CANARY_KEY, INVOCATION_ID

SPECS = pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name)


def ops(**rails: Any) -> Operations:
    settings = ClientSettings(api_key=CANARY_KEY, base_url="https://api.bctrl.test", max_retries=0)
    return Operations(settings=settings, guardrails=Guardrails(**rails))


@SPECS
def test_every_output_model_can_hold_an_error(spec: ToolSpec[Any, Any]) -> None:
    error = ErrorInfo(type="NotFoundError", code="not_found", status_code=404, request_id="r")
    output = spec.output_model.failure("It failed.", error)
    assert isinstance(output, spec.output_model)
    assert (output.is_error, output.error) == (True, error)
    assert_result_fits(spec.name, spec.failure("It failed.", error))


@SPECS
def test_bad_arguments_fit_the_output_schema(spec: ToolSpec[Any, Any]) -> None:
    with pytest.raises(ToolInputError) as caught:
        spec.parse({**example_arguments(spec), "no_such_argument": 1})
    result = input_error_result(spec, caught.value)
    assert_result_fits(spec.name, result)
    assert result.data["error"]["type"] == "ToolInputError"


@SPECS
def test_an_api_error_fits_the_output_schema(
    spec: ToolSpec[Any, Any], api: respx.MockRouter
) -> None:
    api.route().respond(401, json={"error": {"message": "bad key", "code": "unauthorized"}})
    result = spec.run(ops(), spec.parse(example_arguments(spec, INVOCATION_ID)))
    assert_result_fits(spec.name, result)
    assert result.is_error


@SPECS
def test_an_unexpected_exception_fits_the_output_schema(
    spec: ToolSpec[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Operations, "_run", broken)
    monkeypatch.setattr(Operations, "_plan", broken)
    result = spec.run(ops(), spec.parse(example_arguments(spec)))
    assert_result_fits(spec.name, result)
    assert result.data["error"] == {
        "type": "InternalError",
        "code": "internal_error",
        "status_code": None,
        "request_id": None,
    }
    assert "secret internals" not in result.text


@pytest.mark.parametrize(
    "spec", [spec for spec in TOOL_SPECS if not spec.hints.read_only], ids=lambda spec: spec.name
)
def test_refusals_fit_the_output_schema(spec: ToolSpec[Any, Any]) -> None:
    # Read-only refuses every cancel before any request: no bctrl needed.
    result = spec.run(ops(read_only=True), spec.parse(example_arguments(spec)))
    assert result.is_error
    assert_result_fits(spec.name, result)


def test_an_output_model_that_cannot_hold_an_error_is_refused() -> None:
    with pytest.raises(TypeError, match="needs a default"):

        class Listing(ToolOutput):
            items: list[str] = Field(description="No default: an error could not fit.")
