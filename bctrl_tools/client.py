"""The bctrl invocations clients: ``BctrlClient`` (sync) and ``AsyncBctrlClient`` (async).

Both hold one pooled httpx client and share everything but the I/O with
:mod:`bctrl_tools._protocol`: each ``_send`` only sends the requests and sleeps the
delays that ``Protocol.exchange`` yields. Each request goes through
:mod:`bctrl_tools._transport`, under one deadline and a cap on the body's size.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator
from types import TracebackType

import httpx
from pydantic import SecretStr

from bctrl_tools import _transport
from bctrl_tools._protocol import (
    Call,
    Model,
    Protocol,
    cancel_call,
    get_call,
    list_run_call,
    wait_call,
)
from bctrl_tools.errors import InvalidResponseError
from bctrl_tools.ids import check_run_id
from bctrl_tools.models import Invocation
from bctrl_tools.redaction import protect
from bctrl_tools.run_listing import PAGE_SIZE, InvocationPage, Pager
from bctrl_tools.settings import ClientSettings

__all__ = ["DEFAULT_WAIT_MS", "AsyncBctrlClient", "BctrlClient"]

DEFAULT_WAIT_MS = 30_000


def _pause(seconds: float) -> None:
    # One name for the sync retry sleep, so tests replace it here and nowhere else.
    time.sleep(seconds)


async def _sleep(seconds: float) -> None:
    # Imported here, not at the top: only a retry sleeps, and asyncio costs
    # `import bctrl_tools` ~13 ms for sync users who never need it.
    import asyncio

    await asyncio.sleep(seconds)


class _ClientBase:
    def __init__(
        self,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
        settings: ClientSettings | None,
    ) -> None:
        if settings is None:
            settings = ClientSettings.resolve(api_key, base_url, timeout, max_retries)
        self._protocol = Protocol(settings)
        # A server may echo the key back; no log record, ours or a library's, shows it.
        protect(settings.api_key.get_secret_value())

    @property
    def settings(self) -> ClientSettings:
        return self._protocol.settings

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(base_url={self.settings.base_url!r}, api_key=SecretStr('**********'))"


class BctrlClient(_ClientBase):
    """Synchronous bctrl client.

    Arguments left out come from ``BCTRL_API_KEY``, ``BCTRL_BASE_URL``,
    ``BCTRL_TIMEOUT`` (seconds) and ``BCTRL_MAX_RETRIES``. Use it as a context manager,
    or call :meth:`close`, to release its connections::

        with BctrlClient() as client:
            invocation = client.cancel_invocation("3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90")
            print(invocation.status)
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        settings: ClientSettings | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, settings)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=_transport.http_transport())

    def cancel_invocation(self, invocation_id: str) -> Invocation:
        """Ask bctrl to stop it; the record comes back ``cancelling``, or as it was if finished."""
        return self._send(cancel_call(invocation_id))

    def get_invocation(self, invocation_id: str) -> Invocation:
        """Read the invocation's current record."""
        return self._send(get_call(invocation_id))

    def wait_for_invocation(
        self, invocation_id: str, timeout_ms: int = DEFAULT_WAIT_MS
    ) -> Invocation:
        """The record once it is terminal, or when the server's ``timeout_ms`` wait ends."""
        return self._send(wait_call(invocation_id, timeout_ms))

    def list_run_invocations_page(
        self,
        run_id: str,
        *,
        status: Iterable[str] | None = None,
        include: Iterable[str] | None = None,
        limit: int = PAGE_SIZE,
        cursor: str | None = None,
    ) -> InvocationPage:
        """One page of the run's invocations: ``.items``, ``.next_cursor`` (None at the end)."""
        return self._send(
            list_run_call(run_id, status=status, include=include, limit=limit, cursor=cursor)
        )

    def list_run_invocations(
        self,
        run_id: str,
        *,
        status: Iterable[str] | None = None,
        limit: int | None = None,
        include: Iterable[str] | None = None,
    ) -> Iterator[Invocation]:
        """Every invocation of the run (up to ``limit``), fetching pages as it goes.

        ``status`` filters (on the server and again here); ``include`` adds ``request``,
        ``result`` and/or ``error`` to each record. Paging stops at ``limit`` items
        (default 10,000), after 200 pages, or when the server repeats a cursor.
        """
        check_run_id(run_id)
        statuses = None if status is None else [str(value) for value in status]
        includes = None if include is None else list(include)
        pager = Pager(limit=limit, status=statuses)

        def pages() -> Iterator[Invocation]:
            while not pager.done:
                try:
                    page = self.list_run_invocations_page(
                        run_id,
                        status=statuses,
                        include=includes,
                        limit=pager.page_size,
                        cursor=pager.cursor,
                    )
                except InvalidResponseError as exc:
                    if pager.shrink(exc):  # a page over the size cap: ask for half
                        continue
                    raise
                yield from pager.take(page)

        return pages()

    def _send(self, call: Call[Model]) -> Model:
        exchange = self._protocol.exchange(self._http, call)
        try:
            step = next(exchange)
            while True:
                if isinstance(step, float):
                    _pause(step)
                    step = exchange.send(None)
                    continue
                try:
                    answer: httpx.Response | httpx.RequestError = _transport.send(
                        self._http, step, **self._protocol.bounds(call)
                    )
                except httpx.RequestError as exc:  # network, protocol, decoding, deadline
                    answer = exc
                step = exchange.send(answer)
        except StopIteration as done:
            result: Model = done.value
            return result

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> BctrlClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncBctrlClient(_ClientBase):
    """Asynchronous bctrl client; the same arguments and methods as :class:`BctrlClient`::

    async with AsyncBctrlClient() as client:
        invocation = await client.cancel_invocation("3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90")
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        settings: ClientSettings | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, settings)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()

    async def cancel_invocation(self, invocation_id: str) -> Invocation:
        """Ask bctrl to stop it; the record comes back ``cancelling``, or as it was if finished."""
        return await self._send(cancel_call(invocation_id))

    async def get_invocation(self, invocation_id: str) -> Invocation:
        """Read the invocation's current record."""
        return await self._send(get_call(invocation_id))

    async def wait_for_invocation(
        self, invocation_id: str, timeout_ms: int = DEFAULT_WAIT_MS
    ) -> Invocation:
        """The record once it is terminal, or when the server's ``timeout_ms`` wait ends."""
        return await self._send(wait_call(invocation_id, timeout_ms))

    async def list_run_invocations_page(
        self,
        run_id: str,
        *,
        status: Iterable[str] | None = None,
        include: Iterable[str] | None = None,
        limit: int = PAGE_SIZE,
        cursor: str | None = None,
    ) -> InvocationPage:
        """One page of the run's invocations: ``.items``, ``.next_cursor`` (None at the end)."""
        call = list_run_call(run_id, status=status, include=include, limit=limit, cursor=cursor)
        return await self._send(call)

    def list_run_invocations(
        self,
        run_id: str,
        *,
        status: Iterable[str] | None = None,
        limit: int | None = None,
        include: Iterable[str] | None = None,
    ) -> AsyncIterator[Invocation]:
        """Every invocation of the run, as :meth:`BctrlClient.list_run_invocations`;
        use ``async for``."""
        check_run_id(run_id)
        statuses = None if status is None else [str(value) for value in status]
        includes = None if include is None else list(include)
        pager = Pager(limit=limit, status=statuses)

        async def pages() -> AsyncIterator[Invocation]:
            while not pager.done:
                try:
                    page = await self.list_run_invocations_page(
                        run_id,
                        status=statuses,
                        include=includes,
                        limit=pager.page_size,
                        cursor=pager.cursor,
                    )
                except InvalidResponseError as exc:
                    if pager.shrink(exc):  # a page over the size cap: ask for half
                        continue
                    raise
                for invocation in pager.take(page):
                    yield invocation

        return pages()

    async def _send(self, call: Call[Model]) -> Model:
        exchange = self._protocol.exchange(self._http, call)
        try:
            step = next(exchange)
            while True:
                if isinstance(step, float):
                    await _sleep(step)
                    step = exchange.send(None)
                    continue
                try:
                    answer: httpx.Response | httpx.RequestError = await _transport.asend(
                        self._http, step, **self._protocol.bounds(call)
                    )
                except httpx.RequestError as exc:  # network, protocol, decoding, deadline
                    answer = exc
                step = exchange.send(answer)
        except StopIteration as done:
            result: Model = done.value
            return result

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncBctrlClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
