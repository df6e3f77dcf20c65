"""A supervisor that finds and halts runaway siblings, through the LangChain toolkit.

It is handed no invocation ids: only its own invocation (``"self"``, from
``BCTRL_INVOCATION_ID``) or a run id. It lists the run it belongs to with
``list_invocations``, asks the same tool for the runaway ones (running longer than
10 minutes, or silent for 2), stops those with one ``cancel_invocations`` call, and
lists the run again to show the result. Guardrails still apply: ``BCTRL_MAX_CANCELS``
caps how many it may stop, and it never cancels itself.

    python examples/supervisor.py                      # starts a seeded sandbox
    BCTRL_BASE_URL=... BCTRL_API_KEY=... BCTRL_INVOCATION_ID=... python examples/supervisor.py
    BCTRL_BASE_URL=... BCTRL_API_KEY=... python examples/supervisor.py RUN_ID
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bctrl_tools.durations import format_duration
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.langchain import BctrlToolkit
from bctrl_tools.sandbox.process import SandboxProcess

RUNAWAY = {"running_longer_than_seconds": 600, "heartbeat_older_than_seconds": 120}
EVERY_STATUS = [
    "queued", "dispatching", "running", "cancelling", "succeeded", "failed", "cancelled",
    "timed_out",
]  # fmt: skip
_call_ids = itertools.count(1)
console = Console()


def call(tool: BaseTool, **arguments: Any) -> ToolMessage:
    """Invoke a tool as an agent would, with a tool call, to get content and artifact."""
    message = tool.invoke(
        {"type": "tool_call", "id": f"call_{next(_call_ids)}", "name": tool.name, "args": arguments}
    )
    assert isinstance(message, ToolMessage)
    return message


def supervise(toolkit: BctrlToolkit, where: dict[str, str]) -> dict[str, str]:
    """List the run, stop its runaway invocations; return {id: status} after the cancel.

    ``where`` is ``{"invocation_id": "self"}`` or ``{"run_id": ...}``.
    """
    tools = {tool.name: tool for tool in toolkit.get_tools()}
    listed = call(tools["list_invocations"], **where)
    console.print(table("The run, as the supervisor finds it", listed.artifact["items"]))
    flagged = call(tools["list_invocations"], **where, **RUNAWAY)
    console.print("[bold]supervisor[/] list_invocations with runaway filters: ", end="")
    console.print(Text(str(flagged.content)))
    runaway = [
        item["id"] for item in flagged.artifact["items"] if not item["is_self"]
    ] + flagged.artifact["other_ids"]
    if runaway:
        reason = "runaway: ran past 10 minutes or stopped sending heartbeats"
        answer = call(tools["cancel_invocations"], invocation_ids=runaway, reason=reason)
        console.print(f"[bold]supervisor[/] cancel_invocations: {answer.content}")
    after = call(tools["list_invocations"], **where, status=EVERY_STATUS)
    console.print(table("The run after the supervisor", after.artifact["items"]))
    return {item["id"]: item["status"] for item in after.artifact["items"]}


def table(title: str, items: list[dict[str, Any]]) -> Table:
    shown = Table("Invocation", "Status", "Running", "Heartbeat", "Flag", title=title)
    shown.columns[0].no_wrap = True
    shown.columns[1].min_width = len("dispatching")
    for item in items:
        flag = "runaway" if item["runaway"] else ("self" if item["is_self"] else "")
        style = "red" if item["runaway"] else ("yellow" if item["status"] == "cancelling" else None)
        shown.add_row(
            Text(item["id"]),
            Text(item["status"]),
            _age(item["age_seconds"]),
            _age(item["heartbeat_age_seconds"]),
            flag,
            style=style,
        )
    return shown


def _age(seconds: int | None) -> str:
    return "" if seconds is None else format_duration(seconds)


def run(
    base_url: str, api_key: str, *, own_invocation_id: str | None = None, run_id: str | None = None
) -> dict[str, str]:
    """Supervise the run of ``own_invocation_id`` (as "self"), or ``run_id``."""
    rails = Guardrails.from_env(self_invocation_id=own_invocation_id)
    toolkit = BctrlToolkit(api_key=api_key, base_url=base_url, guardrails=rails)
    where = {"run_id": run_id} if run_id else {"invocation_id": "self"}
    console.print(f"Supervising {'run ' + run_id if run_id else 'my own run'}; handed no ids.")
    try:
        return supervise(toolkit, where)
    finally:
        toolkit.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run_id", nargs="?", help="the run to supervise (with BCTRL_BASE_URL)")
    args = parser.parse_args(argv)  # the server to use comes from the environment
    if os.environ.get("BCTRL_BASE_URL"):
        key = os.environ.get("BCTRL_API_KEY", "")
        run(os.environ["BCTRL_BASE_URL"], key, run_id=args.run_id)
        return 0
    # The seeded run: healthy work, one 20 minutes in, one whose heartbeat stopped.
    with SandboxProcess(seed=3, cancel_grace_ms=300) as sandbox:
        run(sandbox.base_url, sandbox.api_key, own_invocation_id=sandbox.seeded_ids[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
