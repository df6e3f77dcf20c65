"""The toolkit and the guardrails, against the real sandbox: what is offered, what is refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bctrl_tools import BctrlClient, BctrlConfigError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import BctrlToolkit, CancelInvocationTool, GetInvocationTool
from bctrl_tools.langchain.tools import BctrlTool
from bctrl_tools.operations import Operations
from bctrl_tools.sandbox.process import SandboxProcess
from bctrl_tools.spec import TOOL_SPECS
from tests.contract import READ_ONLY_TOOLS
from tests.langchain.calls import MODES, Mode, call_tool
from tests.langchain.conftest import CANARY_KEY, LIVE_STATUSES, status_of

pytestmark = pytest.mark.integration


def toolkit_for(sandbox: SandboxProcess, **rails: Any) -> BctrlToolkit:
    guardrails = Guardrails.from_env(**rails)
    return BctrlToolkit(api_key=sandbox.api_key, base_url=sandbox.base_url, guardrails=guardrails)


def tool_named(toolkit: BctrlToolkit, name: str) -> BctrlTool:
    tool = next(tool for tool in toolkit.get_tools() if tool.name == name)
    assert isinstance(tool, BctrlTool)
    return tool


def test_the_toolkit_offers_every_tool_on_one_operations(sandbox: SandboxProcess) -> None:
    toolkit = toolkit_for(sandbox)
    tools = toolkit.get_tools()
    assert [tool.name for tool in tools] == [spec.name for spec in TOOL_SPECS]
    assert all(
        isinstance(tool, BctrlTool) and tool.operations is toolkit.operations for tool in tools
    )
    assert toolkit.operations.audit.face == "langchain"
    toolkit.close()


def test_read_only_offers_only_get_invocation(sandbox: SandboxProcess) -> None:
    toolkit = toolkit_for(sandbox, read_only=True, dry_run=False)
    assert [tool.name for tool in toolkit.get_tools()] == READ_ONLY_TOOLS


def test_bctrl_read_only_in_the_environment_is_honoured(
    sandbox_env: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BCTRL_READ_ONLY", "1")
    assert [tool.name for tool in BctrlToolkit().get_tools()] == READ_ONLY_TOOLS


def test_a_read_only_cancel_tool_refuses_and_sends_nothing(
    sandbox: SandboxProcess, live_id: str
) -> None:
    tool = CancelInvocationTool(
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        guardrails=Guardrails(read_only=True),
    )
    message = call_tool("sync", tool, {"invocation_id": live_id})
    assert message.status == "error"
    assert "(read_only=True was set in code)" in str(message.content)
    assert status_of(sandbox, live_id) in LIVE_STATUSES


@pytest.mark.parametrize("mode", MODES)
def test_the_cancel_budget_is_per_toolkit(sandbox: SandboxProcess, mode: Mode) -> None:
    first, second, third = sandbox.create_invocations(3)
    toolkit = toolkit_for(sandbox, max_cancels=1)
    cancel = tool_named(toolkit, "cancel_invocation")
    assert call_tool(mode, cancel, {"invocation_id": first}).status == "success"
    refused = call_tool(mode, cancel, {"invocation_id": second})
    assert refused.status == "error"
    assert "BCTRL_MAX_CANCELS" in str(refused.content)
    assert status_of(sandbox, second) in LIVE_STATUSES
    # Another toolkit has a budget of its own.
    other = tool_named(toolkit_for(sandbox, max_cancels=1), "cancel_invocation")
    assert call_tool(mode, other, {"invocation_id": third}).status == "success"


def test_the_budget_is_shared_by_the_batch_tool(sandbox: SandboxProcess) -> None:
    first, second, third = sandbox.create_invocations(3)
    toolkit = toolkit_for(sandbox, max_cancels=1)
    batch = tool_named(toolkit, "cancel_invocations")
    message = call_tool("sync", batch, {"invocation_ids": [first, second]})
    assert message.status == "success"  # one of two was refused: not an all-error batch
    assert message.artifact["counts"] == {"cancel_requested": 1, "refused": 1}
    single = tool_named(toolkit, "cancel_invocation")
    spent = call_tool("sync", single, {"invocation_id": third})
    assert spent.status == "error"


@pytest.mark.parametrize("mode", MODES)
def test_dry_run_reports_and_sends_no_cancel(
    sandbox: SandboxProcess, live_id: str, mode: Mode
) -> None:
    cancel = tool_named(toolkit_for(sandbox, dry_run=True), "cancel_invocation")
    message = call_tool(mode, cancel, {"invocation_id": live_id})
    assert message.status == "success"
    assert message.artifact["outcome"] == "dry_run"
    assert message.artifact["record"]["status"] in LIVE_STATUSES
    assert "Dry run (dry_run=True was set in code)" in str(message.content)
    assert status_of(sandbox, live_id) in LIVE_STATUSES


@pytest.mark.parametrize("mode", MODES)
def test_self_is_this_agents_own_invocation(
    sandbox: SandboxProcess, live_id: str, mode: Mode
) -> None:
    toolkit = toolkit_for(sandbox, self_invocation_id=live_id)
    inspected = call_tool(mode, tool_named(toolkit, "get_invocation"), {"invocation_id": "self"})
    assert inspected.artifact["invocation"]["id"] == live_id
    message = call_tool(mode, tool_named(toolkit, "cancel_invocation"), {"invocation_id": "self"})
    assert message.status == "success"
    assert message.artifact["invocation_id"] == live_id
    assert status_of(sandbox, live_id) in {"cancelling", "cancelled"}


def test_wait_seconds_answers_once_cancelled(sandbox: SandboxProcess, live_id: str) -> None:
    cancel = tool_named(toolkit_for(sandbox), "cancel_invocation")
    message = call_tool("sync", cancel, {"invocation_id": live_id, "wait_seconds": 5})
    assert message.artifact["outcome"] == "cancelled"
    assert status_of(sandbox, live_id) == "cancelled"


def test_cancels_are_audited_as_the_langchain_face(
    sandbox: SandboxProcess, live_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bctrl_tools.audit")
    cancel = tool_named(toolkit_for(sandbox), "cancel_invocation")
    call_tool("sync", cancel, {"invocation_id": live_id, "reason": "runaway"})
    lines = [r.getMessage() for r in caplog.records if r.name == "bctrl_tools.audit"]
    assert lines
    assert all('"face": "langchain"' in line and live_id in line for line in lines)


def test_tools_read_the_key_from_the_environment(sandbox_env: SandboxProcess) -> None:
    invocation_id = str(sandbox_env.create_invocation()["id"])
    message = call_tool("sync", GetInvocationTool(), {"invocation_id": invocation_id})
    assert message.status == "success"
    assert message.artifact["invocation"]["id"] == invocation_id


def test_a_missing_key_fails_at_construction_naming_the_variable() -> None:
    with pytest.raises(BctrlConfigError, match="BCTRL_API_KEY"):
        BctrlToolkit()
    with pytest.raises(BctrlConfigError, match="BCTRL_API_KEY"):
        GetInvocationTool()


def test_conflicting_constructor_arguments_are_refused(sandbox: SandboxProcess) -> None:
    with BctrlClient(api_key=CANARY_KEY, base_url=sandbox.base_url) as client:
        with pytest.raises(ValueError, match="not both"):
            GetInvocationTool(api_key=CANARY_KEY, client=client)
        operations = Operations(client=client)
        with pytest.raises(ValueError, match="on its own"):
            GetInvocationTool(operations=operations, guardrails=Guardrails())


def test_lent_clients_are_used_and_left_open(sandbox: SandboxProcess, live_id: str) -> None:
    with BctrlClient(api_key=sandbox.api_key, base_url=sandbox.base_url) as client:
        toolkit = BctrlToolkit(client=client, guardrails=Guardrails())
        message = call_tool(
            "sync", tool_named(toolkit, "get_invocation"), {"invocation_id": live_id}
        )
        assert message.status == "success"
        toolkit.close()
        assert client.get_invocation(live_id).id == live_id  # still open
