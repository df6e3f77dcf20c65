"""Without BCTRL_API_KEY, bctrl-mcp still serves: tools listed, each call says how to fix it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from mcp import Client

from bctrl_tools.spec import TOOL_SPECS
from mcp_server.missing_key import NO_KEY_MESSAGE, STARTUP_LINE
from tests.contract import assert_fits_output_schema, example_arguments
from tests.mcp.conftest import text
from tests.mcp.processes import ROOT, SERVER, free_port, over_http, over_stdio, running, server_env

pytestmark = pytest.mark.integration

# What a host's secret redactor rewrites: a name, "=", then a value ("api_key=...").
NAME_VALUE = re.compile(r"\w=")


async def answers_every_call_with_how_to_set_the_key(client: Client) -> None:
    listed = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}
    assert set(listed) == {spec.name for spec in TOOL_SPECS}
    for spec in TOOL_SPECS:
        for arguments in (example_arguments(spec), {}):  # good or bad, the key comes first
            result = await client.call_tool(spec.name, arguments)
            assert result.is_error
            assert text(result) == NO_KEY_MESSAGE
            assert_fits_output_schema(spec.name, result.structured_content, listed[spec.name])


def test_the_message_names_each_host_and_no_name_value_phrase() -> None:
    for needle in ('"env"', "claude_desktop_config.json", "claude mcp add", "environment"):
        assert needle in NO_KEY_MESSAGE
    for message in (NO_KEY_MESSAGE, STARTUP_LINE):
        assert not NAME_VALUE.search(message), message
        assert "\n" not in message


async def test_over_stdio(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog:
        async with over_stdio(server_env(), errlog) as client:
            await answers_every_call_with_how_to_set_the_key(client)
    assert log.read_text().splitlines() == [STARTUP_LINE]


async def test_over_streamable_http(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "stderr.log"
    args = ["--transport", "streamable-http", "--port", str(port)]
    with running(args, server_env(), log, port):
        async with over_http(f"http://127.0.0.1:{port}/mcp", token=None) as client:
            await answers_every_call_with_how_to_set_the_key(client)
    assert STARTUP_LINE in log.read_text().splitlines()


def test_a_malformed_key_still_stops_the_server() -> None:
    done = subprocess.run(
        SERVER, env=server_env(BCTRL_API_KEY="two words"), cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    [line] = done.stderr.splitlines()
    assert "BCTRL_API_KEY" in line
