"""The group commit's batcher: who goes together, and who gets which result."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest

from bot.flows.batching import Batcher

T = TypeVar("T")


class Work:
    """Doubles each item; fails the items named in `failing`; can be held at a gate."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.failing: set[int] = set()
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()  # set when the first batch begins
        self.on_start: Callable[[], None] = lambda: None  # called as each batch begins
        self.notes: list[list[int]] = []  # for `on_start`

    async def __call__(self, items: Sequence[int]) -> list[int | Exception]:
        self.on_start()
        self.batches.append(list(items))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return [ValueError(item) if item in self.failing else item * 2 for item in items]


async def test_a_lone_item_goes_at_once() -> None:
    work = Work()
    assert await Batcher(work, max_size=10).submit(1) == 2
    assert work.batches == [[1]]


async def test_items_submitted_together_go_in_one_batch_in_order() -> None:
    work = Work()
    batcher = Batcher(work, max_size=10)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(5)))
    assert results == [0, 2, 4, 6, 8]
    assert work.batches == [[0, 1, 2, 3, 4]]


async def _submit_after(
    batcher: Batcher[int, int], item: int, *, passes: int, submitted: list[int] | None = None
) -> int:
    """Submit `item` after `passes` passes of the event loop (a caller still on its way)."""
    for _ in range(passes):
        await asyncio.sleep(0)
    if submitted is not None:
        submitted.append(item)
    return await batcher.submit(item)


async def test_callers_on_their_way_join_the_batch_while_it_keeps_growing() -> None:
    work = Work()
    batcher = Batcher(work, max_size=10)
    callers = [_submit_after(batcher, n, passes=n) for n in range(5)]  # one more each pass
    assert await asyncio.gather(*callers) == [0, 2, 4, 6, 8]
    assert work.batches == [[0, 1, 2, 3, 4]]


async def test_a_pass_that_brings_nothing_new_ends_the_gathering() -> None:
    work = Work()
    batcher = Batcher(work, max_size=10)
    callers = [_submit_after(batcher, 1, passes=0), _submit_after(batcher, 2, passes=3)]
    assert await asyncio.gather(*callers) == [2, 4]
    assert work.batches == [[1], [2]]


async def test_a_full_batch_goes_without_waiting_for_more() -> None:
    work = Work()
    batcher = Batcher(work, max_size=3)
    submitted: list[int] = []
    work.on_start = lambda: work.notes.append(list(submitted))
    callers = [_submit_after(batcher, n, passes=n, submitted=submitted) for n in range(7)]
    await asyncio.gather(*callers)
    assert work.notes[0] == [0, 1, 2]  # the first batch went while the others were on their way
    assert work.batches == [[0, 1, 2], [3, 4, 5], [6]]


async def test_items_arriving_during_a_batch_form_the_next_one_of_at_most_max_size() -> None:
    work = Work()
    work.gate = asyncio.Event()
    batcher = Batcher(work, max_size=2)
    first = asyncio.ensure_future(batcher.submit(1))
    await work.started.wait()  # the first batch is under way
    later = [asyncio.ensure_future(batcher.submit(n)) for n in (2, 3, 4)]
    work.gate.set()
    assert await asyncio.gather(first, *later) == [2, 4, 6, 8]
    assert work.batches == [[1], [2, 3], [4]]


async def test_each_caller_gets_its_own_error() -> None:
    work = Work()
    work.failing = {2}
    batcher = Batcher(work, max_size=10)
    results = await asyncio.gather(*(batcher.submit(n) for n in (1, 2, 3)), return_exceptions=True)
    assert results[0] == 2
    assert isinstance(results[1], ValueError)
    assert results[2] == 6


async def test_when_the_work_itself_fails_every_caller_of_that_batch_gets_the_error() -> None:
    async def broken(items: Sequence[int]) -> list[int | Exception]:
        raise RuntimeError("the database went away")

    batcher: Batcher[int, int] = Batcher(broken, max_size=10)
    results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)


async def test_a_caller_that_stops_waiting_does_not_stop_its_batch_and_its_result_is_abandoned() -> None:
    work = Work()
    work.gate = asyncio.Event()
    work.failing = {3}
    abandoned: list[int] = []
    batcher = Batcher(work, max_size=10, abandoned=abandoned.append)
    leaving = asyncio.ensure_future(batcher.submit(1))
    staying = asyncio.ensure_future(batcher.submit(2))
    leaving_and_failing = asyncio.ensure_future(batcher.submit(3))
    await work.started.wait()
    leaving.cancel()
    leaving_and_failing.cancel()
    work.gate.set()
    assert await staying == 4  # its batch, the leaving caller's too, was worked to the end
    assert leaving.cancelled()
    assert work.batches == [[1, 2, 3]]
    assert abandoned == [2]  # the leaving caller's result, for what it would have done; no error


async def test_a_failing_follow_up_of_an_abandoned_result_keeps_no_other_caller_waiting() -> None:
    def broken(_result: int) -> None:
        raise RuntimeError("the dispatcher is gone")

    work = Work()
    work.gate = asyncio.Event()
    batcher = Batcher(work, max_size=10, abandoned=broken)
    leaving = asyncio.ensure_future(batcher.submit(1))
    staying = asyncio.ensure_future(batcher.submit(2))
    await work.started.wait()
    leaving.cancel()
    work.gate.set()
    assert await _result(staying) == 4
    assert await _result(asyncio.ensure_future(batcher.submit(3))) == 6  # and the worker goes on


def test_a_batch_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="max_size"):
        Batcher(Work(), max_size=0)


async def _result(future: asyncio.Future[T]) -> T:
    """`future`'s result once it is done (a failure, not a hang, if it never is)."""
    for _ in range(10_000):  # passes of the event loop: far more than needed
        if future.done():
            return future.result()
        await asyncio.sleep(0)
    raise AssertionError("a caller was left waiting")
