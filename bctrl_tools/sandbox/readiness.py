"""The stdout contract between a sandbox server and whoever launched it.

Line 1: `bctrl sandbox listening on http://HOST:PORT`; then one `seeded <uuid>`
line per seeded invocation. Kept free of server imports so launchers stay light.
"""

from __future__ import annotations

from collections.abc import Sequence

READY_PREFIX = "bctrl sandbox listening on "
SEEDED_PREFIX = "seeded "


def ready_lines(url: str, seeded_ids: Sequence[str]) -> list[str]:
    return [f"{READY_PREFIX}{url}", *(f"{SEEDED_PREFIX}{id_}" for id_ in seeded_ids)]


def parse_ready_line(line: str) -> str | None:
    """The base URL from a ready line, or None if `line` is not one."""
    line = line.strip()
    return line[len(READY_PREFIX) :] if line.startswith(READY_PREFIX) else None


def parse_seeded_line(line: str) -> str | None:
    line = line.strip()
    return line[len(SEEDED_PREFIX) :] if line.startswith(SEEDED_PREFIX) else None
