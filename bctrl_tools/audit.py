"""The audit trail: one JSON line for every cancel decision, on every face.

Lines go to the ``bctrl_tools.audit`` logger (INFO) and, when a path is given, are
appended to that file. They hold ids, outcomes and the caller's reason, never the key.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from bctrl_tools.errors import BctrlConfigError

__all__ = ["AuditLog", "Face"]

Face = Literal["langchain", "mcp", "cli", "sdk"]
Event = Literal["request", "result"]

logger = logging.getLogger("bctrl_tools.audit")


class AuditLog:
    """Writes audit lines for one face; safe to share between threads and tasks."""

    def __init__(self, face: Face, path: Path | None = None) -> None:
        self.face = face
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            try:  # fail at start, not after a cancel was sent
                path.open("a", encoding="utf-8").close()
            except OSError as exc:
                raise BctrlConfigError(
                    f"The audit log {str(path)!r} (BCTRL_AUDIT_LOG) cannot be written: "
                    f"{exc.strerror or exc}. Point it at a writable file, or unset it."
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
    ) -> None:
        if self.path is None and not logger.isEnabledFor(logging.INFO):
            return  # nobody would read the line: do not build it
        line = json.dumps(
            {
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "face": self.face,
                "event": event,
                "invocation_id": invocation_id,
                "space_id": space_id,
                "outcome": outcome,
                "status": status,
                "request_id": request_id,
                "reason": reason,
            },
            ensure_ascii=False,
        )
        logger.info(line)
        if self.path is not None:
            try:
                with self._lock, self.path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
            except OSError:
                # The decision is made (maybe a cancel sent): report the lost line, go on.
                logging.getLogger("bctrl_tools").exception("could not append to the audit log")
