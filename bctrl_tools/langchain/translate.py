"""Turning a spec's results and input errors into what a LangChain tool returns."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import ToolException
from pydantic import ValidationError

from bctrl_tools.spec import ToolInputError, ToolResult, ToolSpec, describe_input_error

__all__ = ["InputErrorHandler", "parse_arguments", "to_content_and_artifact"]


def to_content_and_artifact(result: ToolResult) -> tuple[str, dict[str, Any]]:
    """``(content, artifact)`` for a result the model may act on; raise for an error.

    A :class:`ToolException` is how a LangChain tool reports failure without stopping
    the agent: with ``handle_tool_error=True`` it becomes a ``ToolMessage`` with
    ``status="error"`` whose content is the spec's one-line message.
    """
    if result.is_error:
        raise ToolException(result.text)
    # The content is what every model sees (bounded); the artifact is for the program,
    # with the full records no model pays for.
    return result.text, result.artifact


def parse_arguments(
    spec: ToolSpec[Any, Any], args: tuple[object, ...], kwargs: dict[str, object]
) -> Any:
    """The spec's input model from what ``BaseTool`` passes to ``_run``/``_arun``."""
    # A plain-string tool input arrives positionally; it stands for the first field.
    named = dict(zip(spec.input_model.model_fields, args, strict=False)) | kwargs
    try:
        return spec.parse(named)
    except ToolInputError as exc:
        raise ToolException(str(exc)) from None


class InputErrorHandler:
    """``handle_validation_error`` for a tool: the spec's curated message, not pydantic's."""

    def __init__(self, spec: ToolSpec[Any, Any]) -> None:
        self.spec = spec

    def __call__(self, error: Exception) -> str:
        if isinstance(error, ValidationError):
            return describe_input_error(self.spec, error)
        # Only a pydantic v1 args_schema raises anything else, and no spec has one.
        return str(error)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec.name!r})"
