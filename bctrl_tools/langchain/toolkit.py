"""``BctrlToolkit``: every bctrl tool the guardrails allow, over one shared ``Operations``."""

from __future__ import annotations

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict, Field, SecretStr

from bctrl_tools.client import AsyncBctrlClient, BctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain.tools import tool_class
from bctrl_tools.langchain.wiring import build_operations
from bctrl_tools.operations import Operations
from bctrl_tools.spec import offered_specs

__all__ = ["BctrlToolkit"]


class BctrlToolkit(BaseToolkit):
    """The bctrl tools for an agent: cancel one, cancel many, and inspect invocations.

    All tools of one toolkit share one pooled client pair, the guardrails and one cancel
    budget (``BCTRL_MAX_CANCELS`` counts per toolkit). In read-only mode
    (``BCTRL_READ_ONLY=1`` or ``Guardrails(read_only=True)``) only the read-only tool
    is offered.

    Setup:
        Install ``bctrl-tools`` with the LangChain extra and set your API key; the
        ``BCTRL_*`` guardrail variables apply unless ``guardrails=`` is given.

        .. code-block:: bash

            pip install "bctrl-tools[langchain]"
            export BCTRL_API_KEY="bk_..."
            export BCTRL_MAX_CANCELS=5  # optional

    Instantiate:
        .. code-block:: python

            from bctrl_tools.guardrails import Guardrails
            from bctrl_tools.langchain import BctrlToolkit

            toolkit = BctrlToolkit(guardrails=Guardrails.from_env(dry_run=True))

    Invoke (hand the tools to an agent):
        .. code-block:: python

            tools = toolkit.get_tools()
            agent = create_agent(model, tools)  # langchain.agents, or a LangGraph ToolNode
            ...
            await toolkit.aclose()  # release the pooled connections
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # The clients hold the API key: kept out of repr, str and serialization.
    operations: Operations = Field(exclude=True, repr=False)

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        client: BctrlClient | None = None,
        async_client: AsyncBctrlClient | None = None,
        guardrails: Guardrails | None = None,
    ) -> None:
        """Connect with ``api_key``/``base_url`` (else ``BCTRL_API_KEY``/``BCTRL_BASE_URL``)
        or lent clients; ``guardrails`` defaults to ``Guardrails.from_env()``.
        """
        operations = build_operations(
            api_key=api_key,
            base_url=base_url,
            client=client,
            async_client=async_client,
            guardrails=guardrails,
        )
        super().__init__(operations=operations)

    @property
    def guardrails(self) -> Guardrails:
        """The limits every tool of this toolkit runs under."""
        return self.operations.guardrails

    def get_tools(self) -> list[BaseTool]:
        """The tools the guardrails allow, all on this toolkit's one ``Operations``."""
        return [
            tool_class(spec)(operations=self.operations) for spec in offered_specs(self.guardrails)
        ]

    def close(self) -> None:
        """Close the sync client this toolkit created (lent clients stay open)."""
        self.operations.close()

    async def aclose(self) -> None:
        """Close every client this toolkit created (lent clients stay open)."""
        await self.operations.aclose()
