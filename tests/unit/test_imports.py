"""The core stays light: importing it pulls in neither face's framework."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# (httpx itself imports rich when it is installed, so rich is not checked here.)
HEAVY = ["langchain_core", "langgraph", "mcp", "starlette", "uvicorn"]


@pytest.mark.parametrize(
    "module", ["bctrl_tools", "bctrl_tools.operations", "bctrl_tools.spec", "bctrl_tools.cli"]
)
def test_core_modules_import_no_framework(module: str) -> None:
    probe = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", probe], text=True))
    assert not [name for name in loaded if name.split(".")[0] in HEAVY]


def test_everything_in_all_is_exported() -> None:
    import bctrl_tools

    for name in bctrl_tools.__all__:
        assert hasattr(bctrl_tools, name), name
    for error in ("BctrlAPIError", "RateLimitError", "InvalidInvocationIdError"):
        assert error in bctrl_tools.__all__


def test_the_core_install_is_httpx_and_pydantic_only() -> None:
    from importlib.metadata import requires

    core = [req for req in requires("bctrl-tools") or [] if "extra ==" not in req]
    assert sorted(req.split(">")[0].split("<")[0].strip() for req in core) == ["httpx", "pydantic"]
