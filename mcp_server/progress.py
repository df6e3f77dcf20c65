"""MCP progress notifications for a batch cancel, one per finished item."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context

from bctrl_tools.outcomes import CancelOutcome

__all__ = ["BatchProgress"]

logger = logging.getLogger("mcp_server")


class BatchProgress:
    """An ``on_result`` callback: reports each finished item with the core's own line.

    The SDK sends nothing when the client asked for no progress (no progress token), so
    it is safe to pass to every tool; only the batch tool calls it. No total is given:
    the batch's size is the core's to count (it drops duplicates), not ours.
    """

    def __init__(self, context: Context[Any, Any], skip: Callable[[str], bool]) -> None:
        self._context = context
        self._skip = skip
        self._done = 0

    async def __call__(self, outcome: CancelOutcome) -> None:
        if self._skip(outcome.invocation_id):
            return  # not finished: it waits for the person's confirmation
        self._done += 1
        try:
            await self._context.report_progress(self._done, None, outcome.message)
        except Exception:  # a lost notification must never abort the batch it reports on
            logger.debug("could not send a progress notification", exc_info=True)
