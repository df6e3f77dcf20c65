"""Cancel and inspect, with every guardrail, written once for every face.

Each operation is a *flow*: a generator that yields the API calls it needs (``Get``,
``Cancel``, ``Wait``, ``Confirm``) and is sent their results, or thrown their errors.
A sync driver runs a flow over :class:`BctrlClient`, an async driver over
:class:`AsyncBctrlClient`; the decisions themselves exist in one place.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from bctrl_tools.audit import AuditLog, Face
from bctrl_tools.client import AsyncBctrlClient, BctrlClient
from bctrl_tools.errors import (
    BctrlAPIError,
    BctrlConfigError,
    BctrlConnectionError,
    BctrlError,
    BctrlTimeoutError,
    ConflictError,
    InvalidInvocationIdError,
    InvalidResponseError,
    NotFoundError,
)
from bctrl_tools.guardrails import CancelBudget, Guardrails
from bctrl_tools.ids import check_invocation_id
from bctrl_tools.models import Invocation, InvocationStatus
from bctrl_tools.outcomes import (
    BatchOutcome,
    CancelOutcome,
    InvocationReport,
    Outcome,
    describe_progress,
    parse_timestamp,
)
from bctrl_tools.settings import ClientSettings

__all__ = ["MAX_BATCH", "MAX_WAIT_SECONDS", "SELF", "ConfirmationPending", "Operations"]

SELF = "self"
MAX_WAIT_SECONDS = 300
MAX_BATCH = 500
NO_CONFIRMATION = (
    "Cancelling needs the user's confirmation (BCTRL_CONFIRM is set), and this client "
    "cannot ask for it. Nothing was sent; ask the user to cancel it themselves."
)

logger = logging.getLogger("bctrl_tools")
T = TypeVar("T")


@dataclass(frozen=True)
class Get:
    invocation_id: str


@dataclass(frozen=True)
class Cancel:
    invocation_id: str


@dataclass(frozen=True)
class Wait:
    invocation_id: str
    timeout_ms: int


@dataclass(frozen=True)
class Confirm:
    """Ask the person; the answer is None when they agreed, else why not."""

    invocation_id: str
    invocation: Invocation | None


class ConfirmationPending(str):
    """A confirmation answer meaning "asked, not answered yet".

    A face that asks by answering the call with a question (MCP's input_required) returns
    this; the call is repeated with the answer, so this round decides nothing and is not
    audited.
    """


Step = Get | Cancel | Wait | Confirm
Flow = Generator[Step, Any, T]
SyncConfirm = Callable[[str, Invocation | None], str | None]
AsyncConfirm = Callable[[str, Invocation | None], Awaitable[str | None]]
OnResult = Callable[[CancelOutcome], Any]


class Operations:
    """The tools' behaviour, shared by the LangChain toolkit, the MCP server and the CLI.

    One instance owns (or is lent) one sync and one async client, the guardrails, the
    cancel budget and the audit log. Clients are created on first use, from
    ``settings`` or the environment.
    """

    def __init__(
        self,
        *,
        settings: ClientSettings | None = None,
        client: BctrlClient | None = None,
        async_client: AsyncBctrlClient | None = None,
        guardrails: Guardrails | None = None,
        face: Face = "sdk",
    ) -> None:
        self.guardrails = guardrails if guardrails is not None else Guardrails.from_env()
        self.budget = CancelBudget(self.guardrails.max_cancels)
        self.audit = AuditLog(face, self.guardrails.audit_log)
        self._settings = settings
        self._client = client
        self._async_client = async_client
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._owned: list[BctrlClient | AsyncBctrlClient] = []
        self._client_lock = threading.Lock()

    @property
    def client(self) -> BctrlClient:
        with self._client_lock:  # cancel_many's worker threads all get here at once
            if self._client is None:
                self._client = BctrlClient(settings=self._resolved_settings())
                self._owned.append(self._client)
            return self._client

    @property
    def async_client(self) -> AsyncBctrlClient:
        # An httpx pool belongs to the event loop it was opened on: a caller that runs
        # us under a new loop (asyncio.run twice, per-test loops) gets a new pool.
        loop = asyncio.get_running_loop()
        if self._async_client is None or (self._async_loop not in (None, loop)):
            self._async_client = AsyncBctrlClient(settings=self._resolved_settings())
            self._owned.append(self._async_client)
            self._async_loop = loop
        return self._async_client

    def _resolved_settings(self) -> ClientSettings:
        if self._settings is None:
            lent = self._client or self._async_client
            self._settings = lent.settings if lent else ClientSettings.resolve()
        return self._settings

    # --- sync -------------------------------------------------------------------------

    def cancel(
        self,
        invocation_id: str,
        *,
        wait_seconds: int = 0,
        reason: str = "",
        confirm: SyncConfirm | None = None,
    ) -> CancelOutcome:
        """Cancel one invocation; never raises for API or network failures."""
        flow = self._cancel_flow(invocation_id, wait_seconds, reason, None)
        return self._run(flow, confirm)

    def get(self, invocation_id: str) -> InvocationReport:
        """Read one invocation; raises :class:`BctrlError` subclasses on failure."""
        return self._run(self._get_flow(invocation_id), None)

    def cancel_many(
        self,
        invocation_ids: Iterable[str],
        *,
        wait_seconds: int = 0,
        reason: str = "",
        on_result: OnResult | None = None,
    ) -> BatchOutcome:
        """Cancel many, ``concurrency`` at a time, this agent's own invocation last.

        ``wait_seconds`` bounds the whole batch's waiting, not each item's.
        """
        siblings, own = self._batch_order(invocation_ids)
        wait_until = time.monotonic() + wait_seconds

        def one(invocation_id: str) -> CancelOutcome:
            result = self._guarded(
                invocation_id,
                lambda: self._run(
                    self._cancel_flow(invocation_id, wait_seconds, reason, wait_until), None
                ),
            )
            if on_result is not None:
                _report(on_result, result)
            return result

        with ThreadPoolExecutor(max_workers=self.guardrails.concurrency) as pool:
            results = list(pool.map(one, siblings))
        results += [one(invocation_id) for invocation_id in own]
        return BatchOutcome.of(results)

    def _run(self, flow: Flow[T], confirm: SyncConfirm | None) -> T:
        try:
            step = next(flow)
            while True:
                try:
                    answer = self._do(step, confirm)
                except BctrlError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(answer)
        except StopIteration as done:
            return cast(T, done.value)

    def _do(self, step: Step, confirm: SyncConfirm | None) -> object:
        if isinstance(step, Get):
            return self.client.get_invocation(step.invocation_id)
        if isinstance(step, Cancel):
            return self.client.cancel_invocation(step.invocation_id)
        if isinstance(step, Wait):
            return self.client.wait_for_invocation(step.invocation_id, step.timeout_ms)
        return confirm(step.invocation_id, step.invocation) if confirm else NO_CONFIRMATION

    # --- async ------------------------------------------------------------------------

    async def acancel(
        self,
        invocation_id: str,
        *,
        wait_seconds: int = 0,
        reason: str = "",
        confirm: AsyncConfirm | None = None,
    ) -> CancelOutcome:
        """Cancel one invocation; never raises for API or network failures."""
        flow = self._cancel_flow(invocation_id, wait_seconds, reason, None)
        return await self._arun(flow, confirm)

    async def aget(self, invocation_id: str) -> InvocationReport:
        """Read one invocation; raises :class:`BctrlError` subclasses on failure."""
        return await self._arun(self._get_flow(invocation_id), None)

    async def acancel_many(
        self,
        invocation_ids: Iterable[str],
        *,
        wait_seconds: int = 0,
        reason: str = "",
        on_result: OnResult | None = None,
        confirm: AsyncConfirm | None = None,
    ) -> BatchOutcome:
        """Cancel many, ``concurrency`` at a time, this agent's own invocation last.

        ``on_result`` (sync or async) is called as each item completes; ``wait_seconds``
        bounds the whole batch's waiting, not each item's.
        """
        siblings, own = self._batch_order(invocation_ids)
        gate = asyncio.Semaphore(self.guardrails.concurrency)
        wait_until = time.monotonic() + wait_seconds

        async def cancel(invocation_id: str) -> CancelOutcome:
            flow = self._cancel_flow(invocation_id, wait_seconds, reason, wait_until)
            return await self._arun(flow, confirm)

        async def one(invocation_id: str) -> CancelOutcome:
            async with gate:
                result = await self._aguarded(invocation_id, cancel(invocation_id))
            if on_result is not None:
                await _areport(on_result, result)
            return result

        results = list(await asyncio.gather(*(one(i) for i in siblings)))
        results += [await one(invocation_id) for invocation_id in own]
        return BatchOutcome.of(results)

    async def _arun(self, flow: Flow[T], confirm: AsyncConfirm | None) -> T:
        try:
            step = next(flow)
            while True:
                try:
                    answer = await self._ado(step, confirm)
                except BctrlError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(answer)
        except StopIteration as done:
            return cast(T, done.value)

    async def _ado(self, step: Step, confirm: AsyncConfirm | None) -> object:
        if isinstance(step, Get):
            return await self.async_client.get_invocation(step.invocation_id)
        if isinstance(step, Cancel):
            return await self.async_client.cancel_invocation(step.invocation_id)
        if isinstance(step, Wait):
            return await self.async_client.wait_for_invocation(step.invocation_id, step.timeout_ms)
        return await confirm(step.invocation_id, step.invocation) if confirm else NO_CONFIRMATION

    # --- the flows: every decision, once ---------------------------------------------

    def _get_flow(self, invocation_id: str) -> Flow[InvocationReport]:
        invocation = yield Get(check_invocation_id(self.resolve(invocation_id)))
        return InvocationReport.of(invocation)

    def _cancel_flow(
        self, requested_id: str, wait_seconds: int, reason: str, wait_until: float | None
    ) -> Flow[CancelOutcome]:
        try:
            invocation_id = check_invocation_id(self.resolve(requested_id))
            _check_wait(wait_seconds)
        except ValueError as exc:  # InvalidInvocationIdError included
            return self._finish(_failed(str(requested_id), exc), reason)
        rails = self.guardrails
        if rails.read_only:
            return self._finish(_refused(invocation_id, _READ_ONLY), reason)
        before: Invocation | None = None
        if rails.allowed_space_ids is not None or rails.dry_run or rails.confirm:
            try:
                before = yield Get(invocation_id)
            except BctrlError as exc:
                return self._finish(_from_error(invocation_id, exc), reason)
            if (
                rails.allowed_space_ids is not None
                and before.space_id not in rails.allowed_space_ids
            ):
                return self._finish(_refused(invocation_id, _outside(before), before), reason)
            if before.is_terminal:
                return self._finish(_finished(before), reason)
            if rails.dry_run:
                return self._finish(_dry_run(before), reason)
        if rails.confirm:
            declined = yield Confirm(invocation_id, before)
            if isinstance(declined, ConfirmationPending):
                return _refused(invocation_id, declined, before)
            if declined is not None:
                return self._finish(_refused(invocation_id, declined, before), reason)
        if not self.budget.take():
            return self._finish(_refused(invocation_id, self._spent(), before), reason)
        space = before.space_id if before else None
        self.audit.record("request", invocation_id, space_id=space, reason=reason)
        sent_at = time.time()
        try:
            after = yield Cancel(invocation_id)
        except ConflictError as exc:
            return self._finish((yield from self._conflict(invocation_id, exc)), reason)
        except BctrlError as exc:
            return self._finish(_from_error(invocation_id, exc, before), reason)
        if after.is_terminal:
            return self._finish(_terminal_answer(after, before, sent_at), reason)
        note = ""
        if wait_seconds > 0:
            until = time.monotonic() + wait_seconds if wait_until is None else wait_until
            left_ms = int((until - time.monotonic()) * 1000)
            try:
                if left_ms > 0:  # a batch's shared wait may already be spent
                    after = yield Wait(invocation_id, left_ms)
            except BctrlError as exc:
                note = f" Waiting for it to stop failed: {exc}"
            if after.status == InvocationStatus.CANCELLED:
                return self._finish(_cancelled(after), reason)
            if after.is_terminal:
                return self._finish(_finished(after, raced=True), reason)
            note = note or f" It was still {after.status} after waiting {wait_seconds}s."
        return self._finish(_requested(after, before, note), reason)

    def _conflict(self, invocation_id: str, exc: ConflictError) -> Flow[CancelOutcome]:
        # A 409 should mean it had already finished; read it back to be sure, and say how.
        try:
            invocation = yield Get(invocation_id)
        except BctrlError:
            message = f"Invocation {invocation_id} had already finished; nothing to cancel."
            return _outcome(invocation_id, Outcome.ALREADY_FINISHED, message, error=exc)
        if invocation.is_terminal:
            return _finished(invocation)
        if invocation.status == InvocationStatus.CANCELLING:
            return _requested(invocation, None, "")
        # Still live: the conflict was about something else, and nothing stopped.
        return _from_error(invocation_id, exc, invocation)

    def _finish(self, result: CancelOutcome, reason: str) -> CancelOutcome:
        self.audit.record(
            "result",
            result.invocation_id,
            outcome=result.outcome.value,
            status=result.status,
            space_id=result.space_id,
            request_id=result.request_id,
            reason=reason,
        )
        return result

    # --- helpers ----------------------------------------------------------------------

    def resolve(self, invocation_id: str) -> str:
        """Turn ``"self"`` into this agent's own invocation id (``BCTRL_INVOCATION_ID``)."""
        if not isinstance(invocation_id, str) or invocation_id.strip().lower() != SELF:
            return invocation_id
        own = self.guardrails.self_invocation_id
        if not own:
            raise InvalidInvocationIdError(
                'invocation_id "self" means this agent\'s own invocation, but '
                "BCTRL_INVOCATION_ID is not set, so it is unknown. Pass the invocation's id "
                "(a UUID) instead, or set BCTRL_INVOCATION_ID for this agent."
            )
        return own

    def _batch_order(self, invocation_ids: Iterable[str]) -> tuple[list[str], list[str]]:
        ids = list(invocation_ids)
        if not 1 <= len(ids) <= MAX_BATCH:
            raise ValueError(f"Give 1 to {MAX_BATCH} invocation ids; got {len(ids)}.")
        distinct: dict[str, str] = {}
        for raw in ids:
            try:
                key = self.resolve(raw)
            except InvalidInvocationIdError:
                key = raw
            distinct.setdefault(key, raw)
        own = self.guardrails.self_invocation_id
        # Stopping itself first would cut the supervisor off before its siblings stop.
        siblings = [raw for key, raw in distinct.items() if key != own]
        return siblings, [raw for key, raw in distinct.items() if key == own]

    def _guarded(self, invocation_id: str, work: Callable[[], CancelOutcome]) -> CancelOutcome:
        try:
            return work()
        except Exception as exc:  # one broken item must not abort the batch
            logger.exception("cancelling %r failed unexpectedly", invocation_id)
            return self._finish(_failed(invocation_id, exc), "")

    async def _aguarded(self, invocation_id: str, work: Awaitable[CancelOutcome]) -> CancelOutcome:
        try:
            return await work
        except Exception as exc:  # one broken item must not abort the batch
            logger.exception("cancelling %r failed unexpectedly", invocation_id)
            return self._finish(_failed(invocation_id, exc), "")

    def _spent(self) -> str:
        return (
            f"The cancel budget is spent: this agent may send at most {self.budget.limit} "
            "cancel requests (BCTRL_MAX_CANCELS), and has. Nothing was sent; ask a person to "
            "cancel it, or to raise the budget."
        )

    def close(self) -> None:
        """Close the sync client this instance created (lent clients stay open)."""
        if self._client is not None and self._client in self._owned:
            self._client.close()
            self._owned.remove(self._client)
            self._client = None

    async def aclose(self) -> None:
        """Close every client this instance created (lent clients stay open)."""
        self.close()
        for client in self._owned:
            if isinstance(client, AsyncBctrlClient):
                try:
                    await client.aclose()
                except Exception:  # a pool made on an event loop that is gone
                    logger.debug("could not close a client of another event loop")
        self._owned.clear()
        self._async_client = None
        self._async_loop = None


def _report(on_result: OnResult, result: CancelOutcome) -> None:
    # A failing progress callback must not turn sent cancels into an exception.
    try:
        on_result(result)
    except Exception:
        logger.exception("on_result failed for %s", result.invocation_id)


async def _areport(on_result: OnResult, result: CancelOutcome) -> None:
    try:
        reported = on_result(result)
        if inspect.isawaitable(reported):
            await reported
    except Exception:
        logger.exception("on_result failed for %s", result.invocation_id)


def _terminal_answer(after: Invocation, before: Invocation | None, sent_at: float) -> CancelOutcome:
    """A cancel answered with a finished record: did this cancel finish it, or an earlier one?"""
    seen_live = before is not None and not before.is_terminal
    if after.status == InvocationStatus.CANCELLED:
        requested = parse_timestamp(after.cancel_requested_at)
        # Without a read before, the record's own cancelRequestedAt tells (clocks may differ).
        if seen_live or (requested is not None and requested >= sent_at - _CLOCK_SLACK):
            return _cancelled(after)
    return _finished(after, raced=seen_live)


# How far the server's clock may be behind ours when judging "cancelled just now".
_CLOCK_SLACK = 30.0


_READ_ONLY = (
    "Cancelling is switched off (BCTRL_READ_ONLY is set): this agent may read invocations "
    "but not cancel them. Nothing was sent."
)


def _check_wait(wait_seconds: int) -> None:
    if isinstance(wait_seconds, bool) or not isinstance(wait_seconds, int):
        raise ValueError(f"wait_seconds must be a whole number of seconds, not {wait_seconds!r}.")
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise ValueError(f"wait_seconds must be from 0 to {MAX_WAIT_SECONDS}; got {wait_seconds}.")


def _outside(invocation: Invocation) -> str:
    return (
        f"Invocation {invocation.id} is in space {invocation.space_id}, outside the spaces this "
        "agent may cancel in (BCTRL_ALLOWED_SPACE_IDS). Nothing was sent."
    )


def _outcome(
    invocation_id: str,
    outcome: Outcome,
    message: str,
    invocation: Invocation | None = None,
    error: BaseException | None = None,
) -> CancelOutcome:
    code, request_id = _error_fields(error)
    return CancelOutcome(
        invocation_id=invocation_id,
        outcome=outcome,
        status=str(invocation.status) if invocation else None,
        message=message,
        error_code=code,
        request_id=request_id,
        space_id=invocation.space_id if invocation else None,
        invocation=invocation.to_json_dict() if invocation else None,
    )


# Most specific first: the first matching type names the error code.
_ERROR_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (InvalidInvocationIdError, "invalid_invocation_id"),
    (BctrlConfigError, "configuration_error"),
    (BctrlTimeoutError, "timeout"),
    (BctrlConnectionError, "connection_error"),
    (InvalidResponseError, "invalid_response"),
    (ValueError, "invalid_argument"),
)


def _error_fields(error: BaseException | None) -> tuple[str | None, str | None]:
    if error is None:
        return None, None
    if isinstance(error, BctrlAPIError):
        return error.code or f"http_{error.status_code}", error.request_id
    code = next((code for kind, code in _ERROR_CODES if isinstance(error, kind)), "internal_error")
    return code, None


def _failed(invocation_id: str, error: BaseException) -> CancelOutcome:
    message = (
        str(error)
        if isinstance(error, BctrlError | ValueError)
        else (
            f"Cancelling invocation {invocation_id} failed unexpectedly ({type(error).__name__}); "
            "check it with get_invocation."
        )
    )
    return _outcome(invocation_id, Outcome.FAILED, message, error=error)


def _from_error(
    invocation_id: str, error: BctrlError, invocation: Invocation | None = None
) -> CancelOutcome:
    kind = Outcome.NOT_FOUND if isinstance(error, NotFoundError) else Outcome.FAILED
    return _outcome(invocation_id, kind, str(error), invocation, error)


def _refused(invocation_id: str, why: str, invocation: Invocation | None = None) -> CancelOutcome:
    return _outcome(invocation_id, Outcome.REFUSED, why, invocation)


def _where(invocation: Invocation) -> str:
    progress = invocation.progress
    if progress is None:
        return ""
    return describe_progress(progress.step, progress.total_steps, progress.current_call)


def _finished(invocation: Invocation, raced: bool = False) -> CancelOutcome:
    how = "finished on its own" if raced else "had already finished"
    message = f"Invocation {invocation.id} {how} ({invocation.status}); nothing to cancel."
    return _outcome(invocation.id, Outcome.ALREADY_FINISHED, message, invocation)


def _cancelled(invocation: Invocation) -> CancelOutcome:
    message = f"Invocation {invocation.id} is cancelled."
    return _outcome(invocation.id, Outcome.CANCELLED, message, invocation)


def _dry_run(invocation: Invocation) -> CancelOutcome:
    where = _where(invocation)
    message = (
        f"Dry run (BCTRL_DRY_RUN is set): invocation {invocation.id} is {invocation.status}"
        f"{f' at {where}' if where else ''} and would be cancelled. Nothing was sent."
    )
    return _outcome(invocation.id, Outcome.DRY_RUN, message, invocation)


def _requested(after: Invocation, before: Invocation | None, note: str) -> CancelOutcome:
    where = _where(before or after)
    doing = f" It was at {where}." if where else ""
    message = (
        f"Cancel requested for invocation {after.id}: it is now {after.status}.{doing}{note}"
        " It stops shortly; get_invocation shows when it is cancelled."
    )
    return _outcome(after.id, Outcome.CANCEL_REQUESTED, message, after)
