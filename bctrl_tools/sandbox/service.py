"""The invocation operations behind the routes: create, get, cancel, wait, list a run."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

from bctrl_tools.sandbox.clock import now_ms
from bctrl_tools.sandbox.config import SANDBOX_SPACE_ID, SandboxConfig
from bctrl_tools.sandbox.envelope import not_found, run_not_found
from bctrl_tools.sandbox.invocation import JsonObject, StoredInvocation
from bctrl_tools.sandbox.lifecycle import TERMINAL_STATUSES, finished_ms, plan_timeline, status_at
from bctrl_tools.sandbox.listing import ListQuery, list_page
from bctrl_tools.sandbox.records import render_record
from bctrl_tools.sandbox.store import InvocationStore
from bctrl_tools.sandbox.validation import CreateRequest
from bctrl_tools.sandbox.waiters import Waiters, sleep_or_wake


class InvocationService:
    def __init__(
        self,
        store: InvocationStore,
        config: SandboxConfig,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._waiters = Waiters()
        self._closing = False

    def create(self, request: CreateRequest, *, age_ms: int = 0) -> tuple[JsonObject, bool]:
        """Store a new invocation; returns (record, replayed) for idempotent repeats.

        `age_ms` backdates it, as if created that long ago (seeding uses it).
        """
        existing = self._find_replay(request)
        if existing is not None:
            return render_record(existing, self._clock()), True
        try:
            stored = self._store.insert(self._draft(request, age_ms))
        except sqlite3.IntegrityError:
            # Another writer stored the same idempotency key first; answer with theirs.
            existing = self._find_replay(request)
            if existing is None:
                raise
            return render_record(existing, self._clock()), True
        return render_record(stored, self._clock()), False

    def get(self, invocation_id: str) -> JsonObject:
        return render_record(self._load(invocation_id), self._clock())

    def cancel(self, invocation_id: str) -> JsonObject:
        now = self._clock()
        if self._store.request_cancel(invocation_id, now, self._config.cancel_grace_ms):
            self._waiters.wake(invocation_id)
        return render_record(self._load(invocation_id), now)

    def list_run(self, run_id: str, query: ListQuery) -> JsonObject:
        if not self._store.run_exists(run_id):
            raise run_not_found(run_id)
        invocations = self._store.in_run(run_id, descending=query.descending)
        return list_page(invocations, query, self._clock())

    async def wait(self, invocation_id: str, timeout_ms: int) -> JsonObject:
        """The record once terminal, or as it is when `timeout_ms` has passed."""
        deadline = self._clock() + timeout_ms
        with self._waiters.watch(invocation_id) as woken:
            while True:
                woken.clear()
                inv = self._load(invocation_id)
                now = self._clock()
                if self._closing or now >= deadline or self._is_terminal(inv, now):
                    return render_record(inv, now)
                # +1 ms so we wake just after the transition, not just before it.
                wake_at = min(deadline, finished_ms(inv) + 1)
                await sleep_or_wake(woken, (wake_at - now) / 1000)

    def close(self) -> None:
        """Release every waiting request so a shutdown does not hang on them."""
        self._closing = True
        self._waiters.wake_all()

    def _load(self, invocation_id: str) -> StoredInvocation:
        inv = self._store.get(invocation_id)
        if inv is None:
            raise not_found(invocation_id)
        return inv

    @staticmethod
    def _is_terminal(inv: StoredInvocation, now: int) -> bool:
        return status_at(inv, now) in TERMINAL_STATUSES

    def _find_replay(self, request: CreateRequest) -> StoredInvocation | None:
        key = request.request.get("idempotencyKey")
        if key is None:
            return None
        return self._store.find_by_idempotency_key(request.runtime_id, key)

    def _draft(self, request: CreateRequest, age_ms: int) -> StoredInvocation:
        created = self._clock() - age_ms
        seconds = self._config.run_seconds if request.run_seconds is None else request.run_seconds
        timeline = plan_timeline(created, round(seconds * 1000))
        silent_after = request.heartbeat_stops_after_seconds
        return StoredInvocation(
            id=str(uuid.uuid4()),
            # Invocations created in a runtime belong to its active run, as on bctrl.
            run_id=self._store.active_run(request.runtime_id, str(uuid.uuid4()), created),
            runtime_id=request.runtime_id,
            space_id=request.space_id or SANDBOX_SPACE_ID,
            sequence_no=0,  # assigned by the store
            request=request.request,
            metadata=request.metadata,
            correlation_id=request.correlation_id,
            connector=request.connector,
            outcome=request.outcome,
            created_ms=created,
            dispatch_ms=timeline.dispatch_ms,
            started_ms=timeline.started_ms,
            ends_ms=timeline.ends_ms,
            cancel_requested_ms=None,
            cancelled_ms=None,
            heartbeat_stop_ms=(
                None if silent_after is None else timeline.started_ms + round(silent_after * 1000)
            ),
        )
