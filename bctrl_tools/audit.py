"""The audit trail: one JSON line for every cancel decision, on every face.

Lines go to the ``bctrl_tools.audit`` logger (INFO) and, when a path is given, are
appended to that file. They hold ids, outcomes and the caller's reason, never the key.

The file must be a regular file: a FIFO would block start-up until someone reads it, and
a device is not a record. A write that fails later is not fatal (the decision is made,
and stopping runaway work matters more than its record), but it is never silent:
:meth:`AuditLog.record` returns the problem, for the caller to report.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from bctrl_tools.errors import BctrlConfigError
from bctrl_tools.limits import MAX_REASON_LENGTH

__all__ = ["AuditLog", "Face"]

Face = Literal["langchain", "mcp", "cli", "sdk"]
Event = Literal["request", "result"]

logger = logging.getLogger("bctrl_tools.audit")

# Line and paragraph separators that JSON allows raw in a string, but that split a line
# for many readers (JavaScript, editors, log shippers): always written escaped.
_LINE_BREAKERS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}


class AuditLog:
    """Writes audit lines for one face; safe to share between threads and tasks."""

    def __init__(self, face: Face, path: Path | None = None) -> None:
        self.face = face
        self.path = path
        self._lock = threading.Lock()
        self.failed_writes = 0
        if path is not None:
            try:  # fail at start, not after a cancel was sent
                os.close(_open_for_append(path))
            except OSError as exc:
                raise BctrlConfigError(
                    f"The audit log {str(path)!r} (BCTRL_AUDIT_LOG) cannot be written: "
                    f"{exc.strerror or exc}. Point it at a writable regular file, or unset it."
                ) from None

    def record(
        self,
        event: Event,
        invocation_id: str,
        *,
        outcome: str | None = None,
        status: str | None = None,
        space_id: str | None = None,
        request_id: str | None = None,
        reason: str = "",
    ) -> str | None:
        """Write one line; returns None, or why the file could not be written."""
        if self.path is None and not logger.isEnabledFor(logging.INFO):
            return None  # nobody would read the line: do not build it
        line = _json_line(
            {
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "face": self.face,
                "event": event,
                "invocation_id": invocation_id,
                "space_id": space_id,
                "outcome": outcome,
                "status": status,
                "request_id": request_id,
                # Every face caps the reason; capped again here, so no caller can flood.
                "reason": str(reason)[:MAX_REASON_LENGTH],
            }
        )
        logger.info(line)
        if self.path is None:
            return None
        try:
            with self._lock:
                _append(self.path, line + "\n")
        except OSError as exc:
            # The decision is made (maybe a cancel sent): report the lost line, go on.
            self.failed_writes += 1
            problem = f"could not append to the audit log {str(self.path)!r}: {exc.strerror or exc}"
            logging.getLogger("bctrl_tools").error("%s", problem)
            return problem
        return None


def _json_line(fields: dict[str, object]) -> str:
    line = json.dumps(fields, ensure_ascii=False)
    for raw, escaped in _LINE_BREAKERS.items():
        line = line.replace(raw, escaped)  # only inside strings: JSON has them nowhere else
    return line


def _open_for_append(path: Path) -> int:
    """A descriptor to append to ``path``, which must be a regular file; never blocks.

    O_NONBLOCK makes opening a FIFO fail (or return) at once instead of waiting for a
    reader; the check after opening refuses whatever is not a regular file.
    """
    with contextlib.suppress(FileNotFoundError):  # a clear message for the common case
        _require_regular(os.stat(path).st_mode, path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        _require_regular(os.fstat(descriptor).st_mode, path)  # what was opened, no race
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _require_regular(mode: int, path: Path) -> None:
    if not stat.S_ISREG(mode):
        raise OSError(f"{str(path)!r} is not a regular file but a FIFO, device or socket")


def _append(path: Path, text: str) -> None:
    with os.fdopen(_open_for_append(path), "a", encoding="utf-8") as file:
        file.write(text)
