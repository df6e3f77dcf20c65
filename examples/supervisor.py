"""A supervisor that halts runaway invocations, through the LangChain toolkit.

Launches invocations in the sandbox (some quick, some that would run far too long),
watches them with ``get_invocation``, and cancels every one that outlives its time
budget with one ``cancel_invocations`` call, then prints a summary. The toolkit's
guardrails still apply: ``BCTRL_MAX_CANCELS`` caps how many it may stop.

    python examples/supervisor.py              # starts its own sandbox
    BCTRL_BASE_URL=... BCTRL_API_KEY=... python examples/supervisor.py
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from rich.console import Console
from rich.table import Table

from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.sandbox.process import SandboxProcess, create_invocations

TIME_BUDGET_SECONDS = 2.0
QUICK_SECONDS, RUNAWAY_SECONDS = 1.0, 600.0
_call_ids = itertools.count(1)
console = Console()


def call(tool: BaseTool, **arguments: Any) -> ToolMessage:
    """Invoke a tool as an agent would, with a tool call, to get content and artifact."""
    message = tool.invoke(
        {"type": "tool_call", "id": f"call_{next(_call_ids)}", "name": tool.name, "args": arguments}
    )
    assert isinstance(message, ToolMessage)
    return message


def launch(sandbox_url: str, api_key: str) -> list[str]:
    quick = create_invocations(sandbox_url, api_key, 3, run_seconds=QUICK_SECONDS)
    runaway = create_invocations(sandbox_url, api_key, 3, run_seconds=RUNAWAY_SECONDS)
    return quick + runaway


def supervise(toolkit: BctrlToolkit, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Watch until every invocation is finished or cancelled; return the last reports."""
    tools = {tool.name: tool for tool in toolkit.get_tools()}
    reports: dict[str, dict[str, Any]] = {}
    cancelled: set[str] = set()
    while True:
        for invocation_id in ids:
            reports[invocation_id] = call(
                tools["get_invocation"], invocation_id=invocation_id
            ).artifact
        live = [i for i, report in reports.items() if not report["is_terminal"]]
        over = [
            i
            for i in live
            if i not in cancelled and (reports[i]["running_seconds"] or 0) > TIME_BUDGET_SECONDS
        ]
        if over:
            reason = f"ran past the {TIME_BUDGET_SECONDS:g}s time budget"
            answer = call(tools["cancel_invocations"], invocation_ids=over, reason=reason)
            console.print(f"[bold]supervisor[/] cancel_invocations: {answer.content}")
            cancelled.update(over)
        if not live:
            return reports
        time.sleep(0.5)


def summary(reports: dict[str, dict[str, Any]]) -> Table:
    table = Table("Invocation", "Final status", "Ran", title="Supervisor summary")
    table.columns[0].no_wrap = True
    for invocation_id, report in reports.items():
        ran = report["running_seconds"]
        style = "yellow" if report["status"] == "cancelled" else "green"
        table.add_row(invocation_id, report["status"], f"{ran or 0:.1f}s", style=style)
    return table


def run(base_url: str, api_key: str) -> dict[str, dict[str, Any]]:
    """Launch invocations on the bctrl at ``base_url``, supervise them, return the reports."""
    ids = launch(base_url, api_key)
    console.print(f"Launched {len(ids)} invocations; time budget {TIME_BUDGET_SECONDS:g}s each.")
    toolkit = BctrlToolkit(api_key=api_key, base_url=base_url)
    try:
        reports = supervise(toolkit, ids)
    finally:
        toolkit.close()
    console.print(summary(reports))
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)  # only --help: the server to use comes from the environment
    if os.environ.get("BCTRL_BASE_URL"):
        run(os.environ["BCTRL_BASE_URL"], os.environ.get("BCTRL_API_KEY", ""))
        return 0
    with SandboxProcess(cancel_grace_ms=300) as sandbox:
        run(sandbox.base_url, sandbox.api_key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
