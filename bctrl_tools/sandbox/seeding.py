"""Invocations created at start-up with `--seed N`, so a demo has work to cancel."""

from __future__ import annotations

from bctrl_tools.sandbox.config import SANDBOX_RUNTIME_ID
from bctrl_tools.sandbox.service import InvocationService
from bctrl_tools.sandbox.validation import parse_create

SEED_STEPS = [
    {"call": "page.goto", "args": ["https://example.com/pricing"], "bind": "pricing"},
    {"call": "page.click", "args": ["text=Compare plans"]},
    {"call": "page.extract", "args": [{"selector": "table.plans"}]},
]


def seed_invocations(service: InvocationService, count: int) -> list[str]:
    """Create `count` running invocations on the sandbox runtime; return their ids."""
    ids = []
    for index in range(count):
        body = {"steps": SEED_STEPS, "metadata": {"seeded": True, "seedIndex": index}}
        record, _ = service.create(parse_create(SANDBOX_RUNTIME_ID, body))
        ids.append(str(record["id"]))
    return ids
