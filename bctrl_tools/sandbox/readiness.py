"""The stdout contract between a sandbox server and whoever launched it.

Line 1: `bctrl sandbox listening on http://HOST:PORT`; then, under `--seed N`, one
`seeded <uuid>` line per healthy seeded invocation, followed by `seeded-run <uuid>`,
`seeded-long-running <uuid>` and `seeded-stale-heartbeat <uuid>`. Kept free of server
imports so launchers stay light.
"""

from __future__ import annotations

from collections.abc import Sequence

READY_PREFIX = "bctrl sandbox listening on "
SEEDED_PREFIX = "seeded "
# The lines after the healthy ids, in this order, each naming one id.
SEEDED_EXTRAS = ("seeded-run", "seeded-long-running", "seeded-stale-heartbeat")


def ready_lines(url: str, seeded_ids: Sequence[str], extras: Sequence[str] = ()) -> list[str]:
    """`extras` are the ids for SEEDED_EXTRAS, in order, when anything was seeded."""
    lines = [f"{READY_PREFIX}{url}", *(f"{SEEDED_PREFIX}{id_}" for id_ in seeded_ids)]
    return lines + [f"{name} {id_}" for name, id_ in zip(SEEDED_EXTRAS, extras, strict=False)]


def parse_ready_line(line: str) -> str | None:
    """The base URL from a ready line, or None if `line` is not one."""
    line = line.strip()
    return line[len(READY_PREFIX) :] if line.startswith(READY_PREFIX) else None


def parse_seeded_line(line: str) -> str | None:
    line = line.strip()
    return line[len(SEEDED_PREFIX) :] if line.startswith(SEEDED_PREFIX) else None


def parse_extra_line(line: str, name: str) -> str | None:
    """The id on a `<name> <id>` line, or None if `line` is not one."""
    prefix = f"{name} "
    line = line.strip()
    return line[len(prefix) :] if line.startswith(prefix) else None
