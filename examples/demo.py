"""`make demo`: stop runaway work on the embedded sandbox, through every face.

Starts a local bctrl sandbox, launches invocations in it, then:
1. cancels one with the typed client and shows it before and after;
2. lets a LangChain agent inspect and cancel one (scripted model, offline);
3. cancels one through the MCP server over stdio, as Claude Desktop would;
4. runs a supervisor that, given only its own invocation, lists its run, finds the
   runaway invocations (too long, or silent) and stops them.
Everything it started is stopped when it ends.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bctrl_tools import BctrlClient, ClientSettings, Invocation
from bctrl_tools.sandbox.process import SandboxProcess

sys.path.insert(0, str(Path(__file__).parent))  # the other examples sit beside this file

console = Console()


def client_demo(sandbox: SandboxProcess) -> None:
    console.rule("[bold]1. The typed client")
    ids = sandbox.create_invocations(3, run_seconds=120)
    time.sleep(0.6)  # let them leave the queue and start running
    settings = ClientSettings(api_key=sandbox.api_key, base_url=sandbox.base_url)
    with BctrlClient(settings=settings) as client:
        runaway = ids[1]
        before = [client.get_invocation(i) for i in ids]
        console.print(f"Cancelling [bold]{runaway}[/] ...")
        requested = client.cancel_invocation(runaway)
        console.print(f"  cancel answered: status [yellow]{requested.status}[/]")
        finished = client.wait_for_invocation(runaway, timeout_ms=10_000)
        console.print(f"  after waiting:   status [green]{finished.status}[/]")
        after = [client.get_invocation(i) for i in ids]
    console.print(_before_after(before, after))


def _before_after(before: list[Invocation], after: list[Invocation]) -> Table:
    table = Table("Invocation", "Before", "Step", "After")
    table.columns[0].no_wrap = True
    for old, new in zip(before, after, strict=True):
        progress = old.progress
        step = f"{progress.step}/{progress.total_steps}" if progress and progress.step else ""
        style = "green" if new.status == "cancelled" else None
        table.add_row(old.id, str(old.status), step, str(new.status), style=style)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)  # only --help: the demo starts and stops its own sandbox
    # Imported here, beside this file: each face's example also runs on its own.
    import langchain_agent
    import mcp_client
    import supervisor

    # --seed 3: a run with healthy work, one 20 minutes in and one whose heartbeat stopped.
    with SandboxProcess(run_seconds=120, cancel_grace_ms=500, seed=3) as sandbox:
        console.print(f"Sandbox running at {sandbox.base_url} (pid {sandbox.pid})")
        client_demo(sandbox)
        console.rule("[bold]2. A LangChain agent (scripted model, offline)")
        langchain_agent.run(sandbox.base_url, sandbox.api_key)
        console.rule("[bold]3. The MCP server over stdio, as Claude Desktop uses it")
        mcp_client.run(sandbox.base_url, sandbox.api_key)
        console.rule("[bold]4. A supervisor that finds its runaway siblings, handed no ids")
        supervisor.run(sandbox.base_url, sandbox.api_key, own_invocation_id=sandbox.seeded_ids[0])
    console.print("Sandbox stopped. Done.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
