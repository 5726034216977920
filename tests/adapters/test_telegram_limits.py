"""The send limiter, on a fake timer: spacing and pauses are computed, never waited for."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.adapters.telegram_limits import RateLimits, SendLimiter
from bot.domain.errors import RateLimited
from tests.fakes.telegram_api import FakeTimer

START = 1000.0
STEP = 1 / 300  # how far WakeOnCue moves time at a time


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


class WakeOnCue:
    """A timer whose sleepers wake only when the test moves time past their moment, and not
    at all while the test holds them back: an event loop that wakes some tasks late."""

    def __init__(self) -> None:
        self.now = 0.0
        self.held: set[asyncio.Task[None]] = set()
        self._sleepers: list[tuple[float, asyncio.Future[None], asyncio.Task[None] | None]] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, woken, asyncio.current_task()))  # type: ignore[arg-type]
        await woken

    async def advance_to(self, moment: float) -> None:
        self.now = moment
        for entry in list(self._sleepers):
            wake_at, woken, task = entry
            if wake_at <= moment and task not in self.held:
                self._sleepers.remove(entry)
                woken.set_result(None)
        for _ in range(5):  # let the woken tasks run up to their next sleep
            await asyncio.sleep(0)


async def release_times(
    timer: WakeOnCue, limiter: SendLimiter, chat_ids: list[int], *, late: range = range(0)
) -> list[float]:
    """Concurrent senders on `timer`, which moves in steps of 1/300 s until all are done:
    when each was let go. The senders at the positions `late` oversleep until 1.01 s."""
    released: list[float] = []

    async def send(chat_id: int) -> None:
        await limiter.acquire(chat_id)
        released.append(timer.now)

    tasks = [asyncio.create_task(send(chat_id)) for chat_id in chat_ids]
    await asyncio.sleep(0)  # every task reserves its slot
    timer.held = {tasks[index] for index in late}
    tick = 0
    while not all(task.done() for task in tasks):
        tick += 1
        if tick * STEP > 1.01:
            timer.held = set()
        await timer.advance_to(tick * STEP)
    await asyncio.gather(*tasks)
    return released


async def test_one_message_per_second_to_one_chat(limiter: SendLimiter, timer: FakeTimer) -> None:
    assert await send_times(limiter, timer, [7, 7, 7]) == [0.0, 1.0, 2.0]


async def test_thirty_messages_per_second_overall(limiter: SendLimiter, timer: FakeTimer) -> None:
    times = await send_times(limiter, timer, list(range(1, 91)))
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(89 / 30)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 30, abs=1e-5)


async def test_concurrent_senders_get_distinct_slots() -> None:
    timer = WakeOnCue()
    times = sorted(await release_times(timer, SendLimiter(timer=timer), list(range(1, 61))))
    assert len(times) == 60
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(59 / 30, abs=2 * STEP)  # a sleeper wakes on the next step
    assert all(later - earlier >= 1 / 30 - STEP for earlier, later in itertools.pairwise(times))


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


async def test_senders_that_wake_late_never_make_more_than_thirty_in_a_second() -> None:
    timer = WakeOnCue()
    limiter = SendLimiter(timer=timer)
    # Slots are 0, 1/30, ..., 39/30 s; the senders of 1/30 .. 10/30 s oversleep until 1.01 s,
    # when the senders of up to 30/30 s have gone on time.
    released = await release_times(timer, limiter, list(range(1, 41)), late=range(1, 11))

    assert len(released) == 40
    busiest = max(sum(1 for other in released if moment - 1.0 < other <= moment) for moment in released)
    assert busiest <= 30


async def test_lifted_limits_never_wait_but_still_honour_a_pause(timer: FakeTimer) -> None:
    limiter = SendLimiter(limits=RateLimits.lifted(), timer=timer)
    group = -1001234
    times = await send_times(limiter, timer, [7] * 50 + [group] * 50 + list(range(1, 101)))
    assert times == [0.0] * 200
    limiter.pause(seconds=3.0, chat_id=7)
    assert await send_times(limiter, timer, [7, 8]) == [3.0, 3.0]
