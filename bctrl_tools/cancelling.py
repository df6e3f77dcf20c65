"""The cancel flow: every guardrail and every decision about one cancel, written once.

It yields its I/O as steps (:mod:`bctrl_tools.steps`), so the sync and async drivers
run the very same decisions; the results are built by :class:`CancelOutcome`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bctrl_tools import steps
from bctrl_tools.audit import AuditLog
from bctrl_tools.budget import Budget, spent_message
from bctrl_tools.errors import BctrlError, ConflictError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.ids import check_invocation_id
from bctrl_tools.limits import check_reason, check_wait_seconds
from bctrl_tools.models import Invocation, InvocationStatus
from bctrl_tools.outcomes import CancelOutcome, Outcome, outside_spaces, read_only
from bctrl_tools.steps import ConfirmationPending, Flow

__all__ = ["Cancelling"]

logger = logging.getLogger("bctrl_tools")


@dataclass(frozen=True)
class Cancelling:
    """What a cancel consults: the guardrails, the budget, the audit log, ``"self"``."""

    guardrails: Guardrails
    budget: Budget
    audit: AuditLog
    resolve: Callable[[str], str]

    def flow(
        self, requested_id: str, wait_seconds: int, reason: str, wait_until: float | None
    ) -> Flow[CancelOutcome]:
        """Cancel one invocation; ``wait_until`` is a batch's shared deadline, if any."""
        try:
            invocation_id = check_invocation_id(self.resolve(requested_id))
            check_wait_seconds(wait_seconds)
            check_reason(reason)
        except ValueError as exc:  # InvalidInvocationIdError included
            return self.finish(CancelOutcome.failed(str(requested_id), exc), reason)
        rails = self.guardrails
        if rails.read_only:
            switched_off = read_only(rails.why("read_only"))
            return self.finish(
                CancelOutcome.refused(invocation_id, switched_off, code="read_only"), reason
            )
        before: Invocation | None = None
        if rails.allowed_space_ids is not None or rails.dry_run or rails.confirm:
            try:
                before = yield from steps.get(invocation_id)
            except BctrlError as exc:
                return self.finish(CancelOutcome.from_error(invocation_id, exc), reason)
            refusal = self._check_before(invocation_id, before)
            if refusal is not None:
                return self.finish(refusal, reason)
        if rails.confirm:
            declined = yield from steps.confirm(invocation_id, before)
            if isinstance(declined, ConfirmationPending):
                return CancelOutcome.refused(invocation_id, declined, before, "awaiting_user")
            if declined is not None:
                return self.finish(
                    CancelOutcome.refused(invocation_id, declined, before, "not_confirmed"), reason
                )
        refusal = yield from self._take_budget(invocation_id, before)
        if refusal is not None:
            return self.finish(refusal, reason)
        space = before.space_id if before else None
        lost = self.audit.record("request", invocation_id, space_id=space, reason=reason)
        try:
            result = yield from self._send(invocation_id, before, wait_seconds, wait_until)
        except Exception as exc:  # a bug, say: the request line still gets its result line
            logger.exception("cancelling %r failed unexpectedly", invocation_id)
            result = CancelOutcome.failed(invocation_id, exc)
        return self.finish(result, reason, lost)

    def _take_budget(
        self, invocation_id: str, before: Invocation | None
    ) -> Flow[CancelOutcome | None]:
        """Spend one cancel, last of all the checks, so that a refusal spends nothing."""
        try:
            verdict = yield from steps.take_budget()
        except BctrlError as exc:  # the shared store is unreachable: never send uncounted
            return CancelOutcome.refused(
                invocation_id, _uncounted(exc), before, "budget_unavailable"
            )
        if not verdict:
            spent = spent_message(self.budget, verdict)
            return CancelOutcome.refused(invocation_id, spent, before, "budget_spent")
        return None

    def _check_before(self, invocation_id: str, before: Invocation) -> CancelOutcome | None:
        """What the read before the cancel settles: out of bounds, finished, or a dry run."""
        rails = self.guardrails
        if rails.allowed_space_ids is not None and before.space_id not in rails.allowed_space_ids:
            return CancelOutcome.refused(
                invocation_id, outside_spaces(before), before, "outside_allowed_spaces"
            )
        if before.is_terminal:
            return CancelOutcome.finished(before)
        if rails.dry_run:
            return CancelOutcome.dry_run(before, rails.why("dry_run"))
        return None

    def _send(
        self,
        invocation_id: str,
        before: Invocation | None,
        wait_seconds: int,
        wait_until: float | None,
    ) -> Flow[CancelOutcome]:
        sent_at = time.time()
        try:
            after = yield from steps.cancel(invocation_id)
        except ConflictError as exc:
            return (yield from self._conflict(invocation_id, exc))
        except BctrlError as exc:
            return CancelOutcome.from_error(invocation_id, exc, before)
        if after.is_terminal:
            return CancelOutcome.terminal_answer(after, before, sent_at)
        note = ""
        if wait_seconds > 0:
            until = time.monotonic() + wait_seconds if wait_until is None else wait_until
            left_ms = int((until - time.monotonic()) * 1000)
            try:
                if left_ms > 0:  # a batch's shared wait may already be spent
                    after = yield from steps.wait(invocation_id, left_ms)
            except BctrlError as exc:
                note = f" Waiting for it to stop failed: {exc}"
            if after.status == InvocationStatus.CANCELLED:
                return CancelOutcome.cancelled(after)
            if after.is_terminal:
                return CancelOutcome.finished(after, raced=True)
            note = note or f" It was still {after.status} after waiting {wait_seconds}s."
        return CancelOutcome.requested(after, before, note)

    def _conflict(self, invocation_id: str, exc: ConflictError) -> Flow[CancelOutcome]:
        # A 409 should mean it had already finished; read it back to be sure, and say how.
        try:
            invocation = yield from steps.get(invocation_id)
        except BctrlError:
            message = f"Invocation {invocation_id} had already finished; nothing to cancel."
            return CancelOutcome.of(invocation_id, Outcome.ALREADY_FINISHED, message, error=exc)
        if invocation.is_terminal:
            return CancelOutcome.finished(invocation)
        if invocation.status == InvocationStatus.CANCELLING:
            return CancelOutcome.requested(invocation, None, "")
        # Still live: the conflict was about something else, and nothing stopped.
        return CancelOutcome.from_error(invocation_id, exc, invocation)

    def finish(self, result: CancelOutcome, reason: str, lost: str | None = None) -> CancelOutcome:
        """Audit the result, then hand it back, saying so if the audit file lost a line.

        ``lost`` is why the request line could not be written, if it could not.
        """
        lost = (
            self.audit.record(
                "result",
                result.invocation_id,
                outcome=result.outcome.value,
                status=result.status,
                space_id=result.space_id,
                request_id=result.request_id,
                reason=reason,
            )
            or lost
        )
        if lost is None:
            return result
        # The decision stands (stopping runaway work comes first), but never silently.
        warning = f" Warning: {lost}, so this decision is missing from the audit trail."
        return result.model_copy(update={"message": result.message + warning})


def _uncounted(error: BctrlError) -> str:
    return (
        f"{error} Nothing was sent: the cancel budget (BCTRL_MAX_CANCELS) is counted there, "
        "and a cancel is never sent uncounted. Reading invocations still works; ask a "
        "person to cancel it, or to bring the store back."
    )
