"""examples/langchain_agent.py runs end to end against the sandbox, as `make demo` runs it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bctrl_tools.sandbox.process import SandboxProcess

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "langchain_agent.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("langchain_agent_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the model's annotations through it
    spec.loader.exec_module(module)
    return module


def test_run_inspects_both_and_cancels_the_runaway(
    example: ModuleType, sandbox: SandboxProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    example.run(sandbox.base_url, sandbox.api_key)
    out = capsys.readouterr().out
    assert out.count("model > get_invocation(") == 2
    assert out.count("model > cancel_invocation(") == 1
    assert "[error]" not in out
    assert ": succeeded" in out
    assert "is cancelled" in out
    assert sandbox.api_key not in out


def test_main_uses_the_environment_when_bctrl_base_url_is_set(
    example: ModuleType, sandbox_env: SandboxProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert example.main([]) == 0
    assert f"on {sandbox_env.base_url}" in capsys.readouterr().out


def test_an_unavailable_model_is_explained(
    example: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert example.main(["--model", "no-such-provider:model"]) == 1
    out = capsys.readouterr().out
    # Without langchain installed it says to install it; with it, that the model is unknown.
    assert "pip install langchain" in out or "no-such-provider:model" in out
