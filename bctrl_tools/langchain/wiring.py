"""Building the one :class:`Operations` that a tool or a toolkit runs on."""

from __future__ import annotations

from pydantic import SecretStr

from bctrl_tools.client import AsyncBctrlClient, BctrlClient
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.operations import Operations
from bctrl_tools.settings import ClientSettings

__all__ = ["build_operations"]


def build_operations(
    *,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    client: BctrlClient | None = None,
    async_client: AsyncBctrlClient | None = None,
    guardrails: Guardrails | None = None,
) -> Operations:
    """An ``Operations`` for the LangChain face, from constructor arguments or the environment.

    Raises :class:`~bctrl_tools.errors.BctrlConfigError` at once when no key can be found:
    a missing key is the developer's to fix, so it must not wait to reach the model as
    a failed tool call.
    """
    lent = client is not None or async_client is not None
    if lent and (api_key is not None or base_url is not None):
        raise ValueError(
            "Pass api_key and base_url, or client and async_client, not both: a client already "
            "carries its key and base URL."
        )
    settings = None if lent else ClientSettings.resolve(api_key=api_key, base_url=base_url)
    return Operations(
        settings=settings,
        client=client,
        async_client=async_client,
        guardrails=guardrails,
        face="langchain",
    )
