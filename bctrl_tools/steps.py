"""The steps a flow may yield, what each is answered with, and the two drivers.

A *flow* is a generator that yields the I/O it needs as :data:`Step` values and is sent
their answers (or thrown their errors). The steps are a closed union: each driver
dispatches with ``match`` and ends in ``assert_never``, so mypy --strict refuses a
driver that misses one. A flow asks for a step through its helper (:func:`get`,
:func:`cancel`, :func:`wait`, :func:`confirm`, :func:`take_budget`) with ``yield from``,
which gives the answer its type.

To add a step kind: a frozen dataclass here, added to ``Step`` and ``Answer``, a helper
typed with its answer, and one ``case`` in each driver's dispatch (``operations.py``);
mypy points at every driver that lacks it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

from bctrl_tools.budget import Verdict
from bctrl_tools.models import Invocation
from bctrl_tools.run_listing import InvocationPage

__all__ = [
    "Answer",
    "AsyncConfirm",
    "Cancel",
    "Confirm",
    "ConfirmationPending",
    "Flow",
    "Get",
    "ListPage",
    "Step",
    "SyncConfirm",
    "TakeBudget",
    "Wait",
    "arun_flow",
    "cancel",
    "confirm",
    "get",
    "list_page",
    "run_flow",
    "take_budget",
    "wait",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Get:
    """Read the invocation; answered with its record."""

    invocation_id: str


@dataclass(frozen=True)
class Cancel:
    """Ask bctrl to cancel it; answered with the record the cancel returned."""

    invocation_id: str


@dataclass(frozen=True)
class Wait:
    """Wait up to ``timeout_ms`` for it to finish; answered with its record."""

    invocation_id: str
    timeout_ms: int


@dataclass(frozen=True)
class Confirm:
    """Ask the person; answered with None when they agreed, else why not."""

    invocation_id: str
    invocation: Invocation | None


@dataclass(frozen=True)
class TakeBudget:
    """Spend one cancel from the budget; answered with the :class:`Verdict`.

    A step, not a call, because the budget may live in Redis: the sync driver takes it
    with the blocking client, the async driver without blocking its event loop. A store
    that cannot answer raises :class:`~bctrl_tools.budget.StoreUnavailable`.
    """


@dataclass(frozen=True)
class ListPage:
    """Read one page of a run's invocations; answered with the page."""

    run_id: str
    status: tuple[str, ...] | None
    limit: int
    cursor: str | None


class ConfirmationPending(str):
    """A confirmation answer meaning "asked, not answered yet".

    A face that asks by answering the call with a question (MCP's input_required) returns
    this; the call is repeated with the answer, so this round decides nothing and is not
    audited.
    """


Step = Get | Cancel | Wait | Confirm | TakeBudget | ListPage
# Every type a step may be answered with. A flow never yields a step itself: it uses the
# step's helper below, whose send type says what that step is answered with.
Answer = Invocation | InvocationPage | str | Verdict | None
Flow = Generator[Step, Answer, T]
SyncConfirm = Callable[[str, Invocation | None], str | None]
AsyncConfirm = Callable[[str, Invocation | None], Awaitable[str | None]]


def get(invocation_id: str) -> Generator[Get, Invocation, Invocation]:
    return (yield Get(invocation_id))


def cancel(invocation_id: str) -> Generator[Cancel, Invocation, Invocation]:
    return (yield Cancel(invocation_id))


def wait(invocation_id: str, timeout_ms: int) -> Generator[Wait, Invocation, Invocation]:
    return (yield Wait(invocation_id, timeout_ms))


def list_page(
    run_id: str, status: tuple[str, ...] | None, limit: int, cursor: str | None
) -> Generator[ListPage, InvocationPage, InvocationPage]:
    return (yield ListPage(run_id, status, limit, cursor))


def confirm(
    invocation_id: str, invocation: Invocation | None
) -> Generator[Confirm, str | None, str | None]:
    return (yield Confirm(invocation_id, invocation))


def take_budget() -> Generator[TakeBudget, Verdict, Verdict]:
    return (yield TakeBudget())


def run_flow(flow: Flow[T], do: Callable[[Step], Answer]) -> T:
    """Run ``flow`` to its end, doing each step with ``do``; its errors go back into it.

    Every error, not only API errors: a flow that wrote an audit ``request`` line must
    get the chance to write its ``result`` line, whatever failed. A flow that does not
    catch an error raises it on, out of here.
    """
    try:
        step = next(flow)
        while True:
            try:
                answer = do(step)
            except Exception as exc:
                step = flow.throw(exc)
            else:
                step = flow.send(answer)
    except StopIteration as done:
        result: T = done.value
        return result


async def arun_flow(flow: Flow[T], do: Callable[[Step], Awaitable[Answer]]) -> T:
    """:func:`run_flow`, with each step awaited."""
    try:
        step = next(flow)
        while True:
            try:
                answer = await do(step)
            except Exception as exc:
                step = flow.throw(exc)
            else:
                step = flow.send(answer)
    except StopIteration as done:
        result: T = done.value
        return result
