"""Side-by-side timing on a shared, noisy machine.

The cases of one comparison run in the same process, interleaved: every round runs a
batch of each case, in ABBA order (alternate rounds reversed) so that a slow drift
(another tenant, thermal, the sandbox's SQLite growing) lands on both sides. A sample
is one batch's time per call; results are medians, and ratios are the median of the
per-round ratios, since the two cases of one round ran moments apart.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

Samples = dict[str, list[float]]


def _order(names: Sequence[str], round_no: int) -> Sequence[str]:
    return names if round_no % 2 == 0 else names[::-1]


def interleave(
    cases: Mapping[str, Callable[[], object]], *, rounds: int, batch: int, warmup: int = 1
) -> Samples:
    """Seconds per call of each case: one sample per round, each the mean of ``batch`` calls."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            for _ in range(batch):
                cases[name]()
    samples: Samples = {name: [] for name in names}
    for round_no in range(rounds):
        for name in _order(names, round_no):
            call = cases[name]
            gc.collect()  # a collection owed by one case should not be paid by the next
            start = time.perf_counter()
            for _ in range(batch):
                call()
            samples[name].append((time.perf_counter() - start) / batch)
    return samples


async def ainterleave(
    cases: Mapping[str, Callable[[], Awaitable[object]]],
    *,
    rounds: int,
    batch: int,
    warmup: int = 1,
) -> Samples:
    """:func:`interleave` for coroutine functions, awaited one after another."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            for _ in range(batch):
                await cases[name]()
    samples: Samples = {name: [] for name in names}
    for round_no in range(rounds):
        for name in _order(names, round_no):
            call = cases[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(batch):
                await call()
            samples[name].append((time.perf_counter() - start) / batch)
    return samples


def rounds_of(cases: Mapping[str, Callable[[int], float]], *, rounds: Mapping[str, int]) -> Samples:
    """Interleave cases that measure themselves: ``case(round_no)`` returns one sample.

    Used where one sample is a whole process start or a whole batch. A case with fewer
    rounds than the others (a slow baseline) drops out once it has its share.
    """
    names = list(cases)
    samples: Samples = {name: [] for name in names}
    for round_no in range(max(rounds.values())):
        for name in _order(names, round_no):
            if round_no < rounds[name]:
                gc.collect()
                samples[name].append(cases[name](round_no))
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired_ratio(ours: Sequence[float], baseline: Sequence[float]) -> float:
    """Median of round-by-round ``ours / baseline``; falls back to a ratio of medians."""
    if len(ours) == len(baseline) and ours:
        return statistics.median(o / b for o, b in zip(ours, baseline, strict=True))
    return median(ours) / median(baseline)


def timed(call: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


async def arounds_of(
    cases: Mapping[str, Callable[[int], Awaitable[float]]], *, rounds: Mapping[str, int]
) -> Samples:
    """:func:`rounds_of` for cases that are coroutine functions."""
    names = list(cases)
    samples: Samples = {name: [] for name in names}
    for round_no in range(max(rounds.values())):
        for name in _order(names, round_no):
            if round_no < rounds[name]:
                gc.collect()
                samples[name].append(await cases[name](round_no))
    return samples
