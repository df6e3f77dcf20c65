"""A local, bctrl-compatible API server (the "sandbox") and helpers to run it.

The server is an independent implementation of bctrl's invocation API, so the
client's contract tests against it mean something: it imports nothing from the
rest of `bctrl_tools`. Importing this package does not import Starlette; only
running the server does.
"""

from __future__ import annotations

from bctrl_tools.sandbox.process import (
    SandboxProcess,
    SandboxStartError,
    create_invocation,
    create_invocations,
)

__all__ = ["SandboxProcess", "SandboxStartError", "create_invocation", "create_invocations"]
