"""langchain-tests' standard unit suite for each tool: no network, a dummy key."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ToolsUnitTests

from bctrl_tools.langchain import CancelInvocationsTool, CancelInvocationTool, GetInvocationTool
from bctrl_tools.langchain.tools import BctrlTool
from tests.langchain.conftest import BASE_URL, CANARY_KEY, INVOCATION_ID

ENV = {"BCTRL_API_KEY": CANARY_KEY, "BCTRL_BASE_URL": BASE_URL}


class _Standard(ToolsUnitTests):
    tool_class: type[BctrlTool]

    @property
    def tool_constructor(self) -> type[BctrlTool]:
        return self.tool_class

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": CANARY_KEY, "base_url": BASE_URL}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"invocation_id": INVOCATION_ID}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        # No key argument: construction must find BCTRL_API_KEY (it fails without one).
        return ENV, {}, {"name": self.tool_class.spec.name}


class TestCancelInvocationToolUnit(_Standard):
    tool_class = CancelInvocationTool


class TestCancelInvocationsToolUnit(_Standard):
    tool_class = CancelInvocationsTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"invocation_ids": [INVOCATION_ID]}


class TestGetInvocationToolUnit(_Standard):
    tool_class = GetInvocationTool
