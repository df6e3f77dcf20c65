"""What importing the LangChain face pulls in, checked in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_without_langchain_core_the_error_says_what_to_install() -> None:
    # A None entry in sys.modules makes `import langchain_core` fail as if not installed.
    result = run_python(
        "import sys\n"
        "sys.modules['langchain_core'] = None\n"
        "try:\n"
        "    import bctrl_tools.langchain\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "bctrl-tools[langchain]"' in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [("bctrl_tools.langchain", "mcp"), ("bctrl_tools", "langchain_core")],
)
def test_an_import_does_not_drag_in_another_face(module: str, forbidden: str) -> None:
    result = run_python(
        f"import sys, {module}\nprint([m for m in sys.modules if m.split('.')[0] == {forbidden!r}])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_package_exports_the_tools_and_the_toolkit() -> None:
    import bctrl_tools.langchain as face

    assert sorted(face.__all__) == [
        "BctrlToolkit",
        "CancelInvocationTool",
        "CancelInvocationsTool",
        "GetInvocationTool",
        "ListInvocationsTool",
    ]
