"""bctrl-tools: let LLM agents stop runaway bctrl invocations.

The core is one typed client over httpx and pydantic. The LangChain tools
(``bctrl_tools.langchain``) and the MCP server (``mcp_server``) are optional faces
over it, installed with the ``langchain`` and ``mcp`` extras.
"""

from bctrl_tools._version import __version__
from bctrl_tools.client import AsyncBctrlClient, BctrlClient
from bctrl_tools.errors import (
    AuthenticationError,
    BadRequestError,
    BctrlAPIError,
    BctrlConfigError,
    BctrlConnectionError,
    BctrlError,
    BctrlTimeoutError,
    ConflictError,
    InvalidInvocationIdError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from bctrl_tools.ids import check_invocation_id
from bctrl_tools.models import (
    TERMINAL_STATUSES,
    ExecutionMode,
    Invocation,
    InvocationStatus,
    RuntimeKind,
)
from bctrl_tools.settings import ClientSettings

__all__ = [
    "TERMINAL_STATUSES",
    "AsyncBctrlClient",
    "AuthenticationError",
    "BadRequestError",
    "BctrlAPIError",
    "BctrlClient",
    "BctrlConfigError",
    "BctrlConnectionError",
    "BctrlError",
    "BctrlTimeoutError",
    "ClientSettings",
    "ConflictError",
    "ExecutionMode",
    "InvalidInvocationIdError",
    "InvalidResponseError",
    "Invocation",
    "InvocationStatus",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RuntimeKind",
    "ServerError",
    "__version__",
    "check_invocation_id",
]
