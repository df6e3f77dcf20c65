"""LangChain tools for bctrl: cancel and inspect invocations from an agent.

Each tool translates one :mod:`bctrl_tools.spec` tool spec; :class:`BctrlToolkit`
hands out all of them over one shared set of clients, guardrails and cancel budget::

    from bctrl_tools.langchain import BctrlToolkit

    tools = BctrlToolkit().get_tools()  # reads BCTRL_API_KEY and BCTRL_* guardrails
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401  (only to fail early with the install hint)
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        'bctrl_tools.langchain needs langchain-core: pip install "bctrl-tools[langchain]"'
    ) from exc

from bctrl_tools.langchain.toolkit import BctrlToolkit
from bctrl_tools.langchain.tools import (
    CancelInvocationsTool,
    CancelInvocationTool,
    GetInvocationTool,
    ListInvocationsTool,
)

__all__ = [
    "BctrlToolkit",
    "CancelInvocationTool",
    "CancelInvocationsTool",
    "GetInvocationTool",
    "ListInvocationsTool",
]
