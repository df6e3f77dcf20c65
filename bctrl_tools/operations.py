"""The tools' behaviour for every face: the :class:`Operations` facade and its drivers.

The decisions live in flows (:mod:`bctrl_tools.cancelling`, the batch plan in
:mod:`bctrl_tools.batch`), which yield their I/O as steps (:mod:`bctrl_tools.steps`).
Here a sync driver does each step over :class:`BctrlClient`, an async driver over
:class:`AsyncBctrlClient`; the decisions themselves exist in one place.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from typing_extensions import assert_never

from bctrl_tools import steps
from bctrl_tools.audit import AuditLog, Face
from bctrl_tools.batch import BatchPlan, OnResult
from bctrl_tools.budget import open_budget
from bctrl_tools.cancelling import Cancelling
from bctrl_tools.client import AsyncBctrlClient, BctrlClient
from bctrl_tools.errors import InvalidInvocationIdError
from bctrl_tools.guardrails import Guardrails
from bctrl_tools.ids import check_invocation_id
from bctrl_tools.limits import DEFAULT_LIST_LIMIT, MAX_BATCH, MAX_WAIT_SECONDS
from bctrl_tools.outcomes import BatchOutcome, CancelOutcome, InvocationReport
from bctrl_tools.run_report import InvocationList, RunListing
from bctrl_tools.runaway import RunawayRules
from bctrl_tools.runs import listing_flow
from bctrl_tools.settings import ClientSettings
from bctrl_tools.steps import (
    Answer,
    AsyncConfirm,
    Cancel,
    Confirm,
    ConfirmationPending,
    Flow,
    Get,
    ListPage,
    Step,
    SyncConfirm,
    TakeBudget,
    Wait,
    arun_flow,
    run_flow,
)

__all__ = [
    "MAX_BATCH",
    "MAX_WAIT_SECONDS",
    "SELF",
    "AsyncConfirm",
    "ConfirmationPending",
    "OnResult",
    "Operations",
    "SyncConfirm",
    "no_confirmation",
]

SELF = "self"


def no_confirmation(why: str) -> str:
    """The refusal when confirmation is on and the client cannot ask; ``why`` names the switch."""
    return (
        f"Cancelling needs the user's confirmation ({why}), and this client cannot ask for "
        "it. Nothing was sent; ask the user to cancel it themselves."
    )


logger = logging.getLogger("bctrl_tools")

T = TypeVar("T")


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
        # In this process, or in Redis when BCTRL_STATE_URL is set (imported only then).
        self.budget = open_budget(self.guardrails)
        self.audit = AuditLog(face, self.guardrails.audit_log)
        self._cancelling = Cancelling(self.guardrails, self.budget, self.audit, self.resolve)
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

    def __repr__(self) -> str:
        # What a person debugging needs: where it reaches, what it may do, what it has
        # spent. Never the settings themselves, nor anything else that could hold the key.
        lent = self._client or self._async_client
        settings = self._settings or (lent.settings if lent else None)
        where = repr(settings.base_url) if settings else "(from the environment, on first use)"
        # exclude_none too: a field serializer (state_url) defeats exclude_defaults for None.
        rails = self.guardrails.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
        if "allowed_space_ids" in rails:  # a set: sorted, so that two reprs compare
            rails["allowed_space_ids"] = sorted(rails["allowed_space_ids"])
        limit = "unlimited" if self.budget.limit is None else self.budget.limit
        return (
            f"Operations(face={self.audit.face!r}, base_url={where}, guardrails={rails!r}, "
            f"cancels_sent='{self.budget.spent} of {limit}')"
        )

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
        plan = self._plan(invocation_ids, wait_seconds, reason, on_result)

        def one(invocation_id: str) -> CancelOutcome:
            try:
                result = self._run(plan.flow(invocation_id), None)
            except Exception as exc:
                result = plan.broken(invocation_id, exc)
            plan.report(result)
            return result

        with ThreadPoolExecutor(max_workers=self.guardrails.concurrency) as pool:
            siblings = list(pool.map(one, plan.siblings))
        return plan.outcome(siblings, [one(invocation_id) for invocation_id in plan.own])

    def _no_confirmation(self) -> str:
        return no_confirmation(self.guardrails.why("confirm"))

    def list_invocations(
        self,
        run_id: str | None = None,
        *,
        invocation_id: str | None = None,
        status: Iterable[str] | None = None,
        rules: RunawayRules | None = None,
        limit: int | None = DEFAULT_LIST_LIMIT,
    ) -> InvocationList:
        """A run's invocations (default: the live ones), judged by ``rules``, bounded.

        Give ``run_id``, or ``invocation_id`` (``"self"`` allowed) whose run to list.
        Raises :class:`BctrlError` subclasses (or ValueError for bad arguments).
        """
        listing = self.run_listing(run_id, invocation_id=invocation_id, status=status, limit=limit)
        return self._judged(listing, rules)

    def run_listing(
        self,
        run_id: str | None = None,
        *,
        invocation_id: str | None = None,
        status: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> RunListing:
        """The run's invocations as read, unjudged (``limit`` None: all, within the caps)."""
        return self._run(self._listing_flow(run_id, invocation_id, status, limit), None)

    def _run(self, flow: Flow[T], confirm: SyncConfirm | None) -> T:
        def do(step: Step) -> Answer:
            match step:
                case Get(invocation_id):
                    return self.client.get_invocation(invocation_id)
                case Cancel(invocation_id):
                    return self.client.cancel_invocation(invocation_id)
                case Wait(invocation_id, timeout_ms):
                    return self.client.wait_for_invocation(invocation_id, timeout_ms)
                case Confirm(invocation_id, invocation):
                    return (
                        confirm(invocation_id, invocation) if confirm else self._no_confirmation()
                    )
                case TakeBudget():
                    return self.budget.take()
                case ListPage(run_id, status, limit, cursor):
                    return self.client.list_run_invocations_page(
                        run_id, status=status, limit=limit, cursor=cursor
                    )
                case _:
                    assert_never(step)

        return run_flow(flow, do)

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
        plan = self._plan(invocation_ids, wait_seconds, reason, on_result)
        gate = asyncio.Semaphore(self.guardrails.concurrency)

        async def one(invocation_id: str) -> CancelOutcome:
            async with gate:
                try:
                    result = await self._arun(plan.flow(invocation_id), confirm)
                except Exception as exc:
                    result = plan.broken(invocation_id, exc)
            await plan.areport(result)
            return result

        siblings = list(await asyncio.gather(*(one(i) for i in plan.siblings)))
        return plan.outcome(siblings, [await one(invocation_id) for invocation_id in plan.own])

    async def alist_invocations(
        self,
        run_id: str | None = None,
        *,
        invocation_id: str | None = None,
        status: Iterable[str] | None = None,
        rules: RunawayRules | None = None,
        limit: int | None = DEFAULT_LIST_LIMIT,
    ) -> InvocationList:
        """:meth:`list_invocations`, over the async client."""
        flow = self._listing_flow(run_id, invocation_id, status, limit)
        return self._judged(await self._arun(flow, None), rules)

    async def _arun(self, flow: Flow[T], confirm: AsyncConfirm | None) -> T:
        async def do(step: Step) -> Answer:
            match step:
                case Get(invocation_id):
                    return await self.async_client.get_invocation(invocation_id)
                case Cancel(invocation_id):
                    return await self.async_client.cancel_invocation(invocation_id)
                case Wait(invocation_id, timeout_ms):
                    return await self.async_client.wait_for_invocation(invocation_id, timeout_ms)
                case Confirm(invocation_id, invocation):
                    return (
                        await confirm(invocation_id, invocation)
                        if confirm
                        else self._no_confirmation()
                    )
                case TakeBudget():
                    return await self.budget.atake()
                case ListPage(run_id, status, limit, cursor):
                    return await self.async_client.list_run_invocations_page(
                        run_id, status=status, limit=limit, cursor=cursor
                    )
                case _:
                    assert_never(step)

        return await arun_flow(flow, do)

    # --- the flows --------------------------------------------------------------------

    def _get_flow(self, invocation_id: str) -> Flow[InvocationReport]:
        invocation = yield from steps.get(check_invocation_id(self.resolve(invocation_id)))
        return InvocationReport.of(invocation)

    def _listing_flow(
        self,
        run_id: str | None,
        invocation_id: str | None,
        status: Iterable[str] | None,
        limit: int | None,
    ) -> Flow[RunListing]:
        return listing_flow(
            run_id=run_id,
            invocation_id=invocation_id,
            status=status,
            limit=limit,
            resolve=self.resolve,
        )

    def _judged(self, listing: RunListing, rules: RunawayRules | None) -> InvocationList:
        return InvocationList.of(
            listing,
            rules or RunawayRules(),
            now=time.time(),
            self_id=self.guardrails.self_invocation_id,
            allowed_spaces=self.guardrails.allowed_space_ids,
        )

    def _cancel_flow(
        self, invocation_id: str, wait_seconds: int, reason: str, wait_until: float | None
    ) -> Flow[CancelOutcome]:
        return self._cancelling.flow(invocation_id, wait_seconds, reason, wait_until)

    def _plan(
        self,
        invocation_ids: Iterable[str],
        wait_seconds: int,
        reason: str,
        on_result: OnResult | None,
    ) -> BatchPlan:
        return BatchPlan.of(
            invocation_ids,
            resolve=self.resolve,
            own_id=self.guardrails.self_invocation_id,
            wait_seconds=wait_seconds,
            reason=reason,
            # Looked up on self at each call, so a test can replace it.
            make_flow=lambda *args: self._cancel_flow(*args),
            contain=lambda invocation_id, exc: self._cancelling.finish(
                CancelOutcome.failed(invocation_id, exc), ""
            ),
            on_result=on_result,
        )

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

    def close(self) -> None:
        """Close the sync client this instance created (lent clients stay open)."""
        if self._client is not None and self._client in self._owned:
            self._client.close()
            self._owned.remove(self._client)
            self._client = None
        self.budget.close()

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
        await self.budget.aclose()
