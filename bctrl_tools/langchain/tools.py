"""The LangChain tools: each one a ``BaseTool`` that translates one tool spec.

Name, description, argument schema and every message come from
:mod:`bctrl_tools.spec`; this module only maps them onto ``BaseTool``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, cast

from langchain_core.tools import BaseTool, ToolException
from langchain_core.tools.base import ArgsSchema, ToolExceptionHandlerOutput
from pydantic import Field, SecretStr, SkipValidation

from bctrl_tools.client import AsyncBctrlClient, BctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain.translate import (
    InputErrorHandler,
    parse_arguments,
    to_content_and_artifact,
)
from bctrl_tools.langchain.wiring import build_operations
from bctrl_tools.operations import Operations
from bctrl_tools.spec import (
    CANCEL_INVOCATION,
    CANCEL_INVOCATIONS,
    GET_INVOCATION,
    LIST_INVOCATIONS,
    TOOL_SPECS,
    ToolSpec,
)

__all__ = [
    "TOOL_CLASSES",
    "BctrlTool",
    "CancelInvocationTool",
    "CancelInvocationsTool",
    "GetInvocationTool",
    "ListInvocationsTool",
    "tool_class",
]

ToolErrorHandling = bool | str | Callable[[ToolException], ToolExceptionHandlerOutput] | None
# As BaseTool declares args_schema: the spec's input model is a class, not data to validate.
SpecSchema = Annotated[ArgsSchema | None, SkipValidation()]


class BctrlTool(BaseTool):
    """A ``BaseTool`` over one :class:`~bctrl_tools.spec.ToolSpec` (see the subclasses).

    Answers ``(content, artifact)``: the spec's one-line text for the model, and its
    JSON-ready data (with the invocation record, camelCase) for the program. A failed
    call raises ``ToolException`` with the spec's message, which LangChain hands to the
    model as a ``ToolMessage`` with ``status="error"``.
    """

    spec: ClassVar[ToolSpec[Any, Any]]

    # The clients hold the API key: kept out of repr, str and serialization. The
    # factory (the environment) only serves pydantic paths that bypass __init__.
    operations: Operations = Field(default_factory=build_operations, exclude=True, repr=False)
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: ToolErrorHandling = True

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        client: BctrlClient | None = None,
        async_client: AsyncBctrlClient | None = None,
        guardrails: Guardrails | None = None,
        operations: Operations | None = None,
        **kwargs: Any,
    ) -> None:
        """Connect with ``api_key``/``base_url`` (else ``BCTRL_API_KEY``/``BCTRL_BASE_URL``),
        lent clients, or an existing ``operations`` (which brings its own guardrails).
        """
        if operations is None:
            operations = build_operations(
                api_key=api_key,
                base_url=base_url,
                client=client,
                async_client=async_client,
                guardrails=guardrails,
            )
        elif any(arg is not None for arg in (api_key, base_url, client, async_client, guardrails)):
            raise ValueError(
                "operations= already holds the clients and guardrails; pass it on its own."
            )
        kwargs.setdefault("handle_validation_error", InputErrorHandler(type(self).spec))
        super().__init__(operations=operations, **kwargs)

    @property
    def tool_call_schema(self) -> ArgsSchema:
        # BaseTool would rebuild the schema as a subset model, which loses the spec's
        # extra="forbid" (additionalProperties: false). These tools inject no
        # arguments, so the model is shown the spec's input model as it is.
        return self.args_schema if self.args_schema is not None else self.spec.input_model

    def _run(self, *args: object, **kwargs: object) -> tuple[str, dict[str, Any]]:
        arguments = parse_arguments(self.spec, args, kwargs)
        return to_content_and_artifact(self.spec.run(self.operations, arguments))

    async def _arun(self, *args: object, **kwargs: object) -> tuple[str, dict[str, Any]]:
        # The async client, on the caller's loop: no thread hop through _run.
        arguments = parse_arguments(self.spec, args, kwargs)
        return to_content_and_artifact(await self.spec.arun(self.operations, arguments))


class CancelInvocationTool(BctrlTool):
    """Cancel one bctrl invocation (a hosted agent run), with every guardrail applied.

    Setup:
        Install ``bctrl-tools`` with the LangChain extra and set your API key.

        .. code-block:: bash

            pip install "bctrl-tools[langchain]"
            export BCTRL_API_KEY="bk_..."

    Instantiate:
        .. code-block:: python

            from bctrl_tools.langchain import CancelInvocationTool

            tool = CancelInvocationTool()  # or api_key=..., base_url=..., guardrails=...

    Invoke directly with args:
        .. code-block:: python

            tool.invoke({"invocation_id": "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"})
            # 'Cancel requested for invocation 3f2c9a4e-...: it is now cancelling. ...'

    Invoke with a tool call (as an agent does):
        .. code-block:: python

            message = tool.invoke(
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": tool.name,
                    "args": {"invocation_id": "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"},
                }
            )
            message.content  # the one line the model reads
            message.artifact["outcome"]  # "cancel_requested", and the record under "invocation"
            message.status  # "error" when refused, not found or failed
    """

    spec: ClassVar[ToolSpec[Any, Any]] = CANCEL_INVOCATION
    name: str = CANCEL_INVOCATION.name
    description: str = CANCEL_INVOCATION.description
    args_schema: SpecSchema = CANCEL_INVOCATION.input_model


class CancelInvocationsTool(BctrlTool):
    """Cancel many bctrl invocations at once; each id gets its own outcome.

    A batch in which only some ids fail is not an error: the artifact lists every
    outcome. Only a batch in which every id failed comes back with ``status="error"``.

    Setup:
        .. code-block:: bash

            pip install "bctrl-tools[langchain]"
            export BCTRL_API_KEY="bk_..."

    Instantiate:
        .. code-block:: python

            from bctrl_tools.langchain import CancelInvocationsTool

            tool = CancelInvocationsTool()

    Invoke directly with args:
        .. code-block:: python

            tool.invoke({"invocation_ids": ["3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90", "self"]})
            # '2 invocations: 2 cancel requested.'

    Invoke with a tool call:
        .. code-block:: python

            message = tool.invoke(
                {"type": "tool_call", "id": "call_1", "name": tool.name, "args": {...}}
            )
            message.artifact["counts"], message.artifact["results"]
    """

    spec: ClassVar[ToolSpec[Any, Any]] = CANCEL_INVOCATIONS
    name: str = CANCEL_INVOCATIONS.name
    description: str = CANCEL_INVOCATIONS.description
    args_schema: SpecSchema = CANCEL_INVOCATIONS.input_model


class GetInvocationTool(BctrlTool):
    """Read a bctrl invocation's state (status, step, heartbeat) without changing it.

    Setup:
        .. code-block:: bash

            pip install "bctrl-tools[langchain]"
            export BCTRL_API_KEY="bk_..."

    Instantiate:
        .. code-block:: python

            from bctrl_tools.langchain import GetInvocationTool

            tool = GetInvocationTool()

    Invoke directly with args:
        .. code-block:: python

            tool.invoke({"invocation_id": "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"})
            # 'Invocation 3f2c9a4e-...: running; step 2/4 (page.fill); running for 3.1s; ...'

    Invoke with a tool call:
        .. code-block:: python

            message = tool.invoke(
                {"type": "tool_call", "id": "call_1", "name": tool.name, "args": {...}}
            )
            message.artifact["status"], message.artifact["invocation"]["progress"]
    """

    spec: ClassVar[ToolSpec[Any, Any]] = GET_INVOCATION
    name: str = GET_INVOCATION.name
    description: str = GET_INVOCATION.description
    args_schema: SpecSchema = GET_INVOCATION.input_model


class ListInvocationsTool(BctrlTool):
    """List a run's invocations and flag runaway ones, without changing anything.

    Setup:
        .. code-block:: bash

            pip install "bctrl-tools[langchain]"
            export BCTRL_API_KEY="bk_..."

    Instantiate:
        .. code-block:: python

            from bctrl_tools.langchain import ListInvocationsTool

            tool = ListInvocationsTool()

    Invoke directly with args:
        .. code-block:: python

            tool.invoke({"invocation_id": "self", "running_longer_than_seconds": 600})
            # 'Run 7c41...: 1 invocation listed (1 running), matching running > 10m00s. ...'

    Invoke with a tool call:
        .. code-block:: python

            message = tool.invoke(
                {"type": "tool_call", "id": "call_1", "name": tool.name, "args": {...}}
            )
            [item["id"] for item in message.artifact["items"]], message.artifact["other_ids"]
    """

    spec: ClassVar[ToolSpec[Any, Any]] = LIST_INVOCATIONS
    name: str = LIST_INVOCATIONS.name
    description: str = LIST_INVOCATIONS.description
    args_schema: SpecSchema = LIST_INVOCATIONS.input_model


_NAMED: dict[str, type[BctrlTool]] = {
    cls.spec.name: cls
    for cls in (CancelInvocationTool, CancelInvocationsTool, GetInvocationTool, ListInvocationsTool)
}


def tool_class(spec: ToolSpec[Any, Any]) -> type[BctrlTool]:
    """The ``BaseTool`` class for ``spec``: its named class above, or one made from it.

    A named class only adds an importable name and a docstring for LangChain users; a
    spec without one still becomes a working tool, so adding a tool needs nothing here.
    """
    named = _NAMED.get(spec.name)
    return named if named is not None and named.spec is spec else _made_from(spec)


@functools.cache
def _made_from(spec: ToolSpec[Any, Any]) -> type[BctrlTool]:
    words = "".join(word.capitalize() for word in spec.name.split("_"))
    made = type(
        f"{words}Tool",
        (BctrlTool,),
        {
            "__module__": __name__,
            "__doc__": spec.description,
            "__annotations__": {"name": "str", "description": "str", "args_schema": "SpecSchema"},
            "spec": spec,
            "name": spec.name,
            "description": spec.description,
            "args_schema": spec.input_model,
        },
    )
    return cast("type[BctrlTool]", made)


TOOL_CLASSES: dict[str, type[BctrlTool]] = {spec.name: tool_class(spec) for spec in TOOL_SPECS}
"""The tool class for each spec, by tool name."""
