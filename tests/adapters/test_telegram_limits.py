"""The send limiter, on a fake timer: spacing and pauses are computed, never waited for."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.adapters.telegram_limits import RateLimits, SendLimiter
from bot.domain.errors import RateLimited
from tests.fakes.telegram_api import FakeTimer

START = 1000.0


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer(start=START)


@pytest.fixture
def limiter(timer: FakeTimer) -> SendLimiter:
    return SendLimiter(timer=timer)


async def send_times(limiter: SendLimiter, timer: FakeTimer, chat_ids: list[int]) -> list[float]:
    """When each acquire (one after the other) let its message go, relative to the start."""
    times = []
    for chat_id in chat_ids:
        await limiter.acquire(chat_id)
        times.append(round(timer.monotonic() - START, 6))
    return times


async def test_one_message_per_second_to_one_chat(limiter: SendLimiter, timer: FakeTimer) -> None:
    assert await send_times(limiter, timer, [7, 7, 7]) == [0.0, 1.0, 2.0]


async def test_thirty_messages_per_second_overall(limiter: SendLimiter, timer: FakeTimer) -> None:
    times = await send_times(limiter, timer, list(range(1, 91)))
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(89 / 30)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 30, abs=1e-5)


async def test_concurrent_senders_get_distinct_slots(limiter: SendLimiter, timer: FakeTimer) -> None:
    await asyncio.gather(*(limiter.acquire(chat_id) for chat_id in range(1, 61)))
    # The first goes at once; each other one slept until its own slot.
    times = sorted([0.0] + [wake - START for wake in timer.wakes])
    assert len(times) == 60
    assert times[-1] == pytest.approx(59 / 30)
    assert all(later - earlier >= 1 / 30 - 1e-9 for earlier, later in itertools.pairwise(times))


async def test_twenty_messages_per_minute_to_a_group(limiter: SendLimiter, timer: FakeTimer) -> None:
    group = -1001234
    times = await send_times(limiter, timer, [group] * 20)
    assert times == [float(n) for n in range(20)]  # one per second, the chat limit
    # The 21st must wait for the minute's window to slide: too long to hold the caller.
    with pytest.raises(RateLimited) as raised:
        await limiter.acquire(group)
    assert raised.value.scope == "chat"
    assert raised.value.retry_after == pytest.approx(60 - 19)
    timer.now += raised.value.retry_after
    assert await send_times(limiter, timer, [group, group]) == [60.0, 61.0]


async def test_a_private_chat_is_not_held_to_the_group_limit(limiter: SendLimiter, timer: FakeTimer) -> None:
    times = await send_times(limiter, timer, [5] * 22)
    assert times[-1] == 21.0


async def test_a_wait_beyond_max_wait_raises_at_once_and_reserves_nothing(timer: FakeTimer) -> None:
    limiter = SendLimiter(limits=RateLimits(max_wait=0.5), timer=timer)
    await limiter.acquire(7)
    with pytest.raises(RateLimited) as raised:
        await limiter.acquire(7)
    assert raised.value.retry_after == pytest.approx(1.0)
    assert raised.value.scope == "chat"
    assert timer.sleeps == []
    assert limiter.wait_for(7) == pytest.approx(1.0)


async def test_a_paused_chat_waits_out_the_pause_others_do_not(
    limiter: SendLimiter, timer: FakeTimer
) -> None:
    limiter.pause(seconds=3, chat_id=7)
    assert await send_times(limiter, timer, [8]) == [0.0]
    assert await send_times(limiter, timer, [7]) == [3.0]


async def test_a_long_pause_raises_with_the_time_left(limiter: SendLimiter, timer: FakeTimer) -> None:
    limiter.pause(seconds=30, chat_id=7)
    timer.now += 10
    with pytest.raises(RateLimited) as raised:
        await limiter.acquire(7)
    assert raised.value.retry_after == pytest.approx(20)
    assert raised.value.scope == "chat"


async def test_a_global_pause_holds_every_chat(limiter: SendLimiter, timer: FakeTimer) -> None:
    limiter.pause(seconds=12)
    for chat_id in (1, 2, -100):
        with pytest.raises(RateLimited) as raised:
            await limiter.acquire(chat_id)
        assert raised.value.scope == "global"
        assert raised.value.retry_after == pytest.approx(12)
    timer.now += 12
    assert await send_times(limiter, timer, [1]) == [12.0]


async def test_a_pause_that_starts_while_waiting_for_a_slot_is_honoured(
    limiter: SendLimiter, timer: FakeTimer
) -> None:
    await limiter.acquire(7)
    timer.on_sleep.append(lambda: limiter.pause(seconds=20, chat_id=7))
    with pytest.raises(RateLimited) as raised:
        await limiter.acquire(7)  # waits 1 s for its slot, and meanwhile a 429 pauses the chat
    assert raised.value.retry_after == pytest.approx(19)


async def test_a_message_waiting_for_its_chat_does_not_hold_up_other_chats(
    limiter: SendLimiter, timer: FakeTimer
) -> None:
    await limiter.acquire(7)
    seen: list[float] = []
    timer.on_sleep.append(lambda: seen.append(limiter.wait_for(8)))
    await limiter.acquire(7)  # its slot is a second away; while it waits...
    assert seen == [pytest.approx(1 / 30)]  # ...chat 8 only waits for the global spacing


async def test_lifted_limits_never_wait_but_still_honour_a_pause(timer: FakeTimer) -> None:
    limiter = SendLimiter(limits=RateLimits.lifted(), timer=timer)
    group = -1001234
    times = await send_times(limiter, timer, [7] * 50 + [group] * 50 + list(range(1, 101)))
    assert times == [0.0] * 200
    limiter.pause(seconds=3.0, chat_id=7)
    assert await send_times(limiter, timer, [7, 8]) == [3.0, 3.0]
