"""langchain-tests' standard integration suite for each tool, against the real sandbox.

Every example call goes to a fresh running sandbox invocation, so it succeeds and
carries an artifact, as the suite requires under ``content_and_artifact``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests

from bctrl_tools.langchain import CancelInvocationsTool, CancelInvocationTool, GetInvocationTool
from bctrl_tools.langchain.tools import BctrlTool
from bctrl_tools.sandbox.process import SandboxProcess

pytestmark = pytest.mark.integration


class _Standard(ToolsIntegrationTests):
    tool_class: type[BctrlTool]
    live: SandboxProcess

    @pytest.fixture(autouse=True)
    def _use_sandbox(self, sandbox: SandboxProcess) -> None:
        # Autouse, so it runs before the suite's `tool` fixture reads the properties.
        self.live = sandbox

    @pytest.fixture
    async def tool(self) -> AsyncIterator[BaseTool]:
        # Async, so its teardown can close the async client on the test's own loop.
        tool = self.tool_class(**self.tool_constructor_params)
        yield tool
        await tool.operations.aclose()

    @property
    def tool_constructor(self) -> type[BctrlTool]:
        return self.tool_class

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": self.live.api_key, "base_url": self.live.base_url}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"invocation_id": self.new_invocation()}

    def new_invocation(self) -> str:
        return str(self.live.create_invocation()["id"])


class TestCancelInvocationToolIntegration(_Standard):
    tool_class = CancelInvocationTool


class TestCancelInvocationsToolIntegration(_Standard):
    tool_class = CancelInvocationsTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"invocation_ids": [self.new_invocation(), self.new_invocation()]}


class TestGetInvocationToolIntegration(_Standard):
    tool_class = GetInvocationTool
