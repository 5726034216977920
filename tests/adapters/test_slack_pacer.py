"""The channel pacer: about one post per second per channel, computed without real waiting."""

from __future__ import annotations

import pytest

from bot.adapters.slack_pacer import ChannelPacer
from bot.domain.errors import RateLimited
from tests.adapters.slack_fixtures import FakeTime


async def test_the_pacer_spaces_one_channel_and_leaves_others_alone() -> None:
    time = FakeTime()
    pacer = ChannelPacer(interval=1.0, monotonic=time.monotonic, sleep=time.sleep)

    for channel in ("D1", "D1", "D2", "D1"):
        await pacer.wait_turn(channel)

    assert time.sleeps == [1.0, 1.0]


async def test_the_pacer_refuses_a_wait_longer_than_its_maximum() -> None:
    time = FakeTime()
    pacer = ChannelPacer(max_wait=5.0, monotonic=time.monotonic, sleep=time.sleep)
    pacer.hold("D1", 30)

    with pytest.raises(RateLimited) as raised:
        await pacer.wait_turn("D1")
    time.now += 30
    await pacer.wait_turn("D1")

    assert raised.value.retry_after == 30
    assert time.sleeps == []


async def test_the_pacer_forgets_channels_whose_slot_has_passed_and_keeps_those_still_waiting() -> None:
    time = FakeTime()
    pacer = ChannelPacer(interval=1.0, monotonic=time.monotonic, sleep=time.sleep)
    for number in range(5000):  # a broadcast: all within one interval
        await pacer.wait_turn(f"D{number}")
    assert pacer.remembered == 5000  # each one still has to wait for its next post
    await pacer.wait_turn("D0")
    assert time.sleeps == [1.0]

    time.now += 10  # every slot has passed
    for number in range(5000, 10_000):
        await pacer.wait_turn(f"D{number}")
    # Forgotten in passes made as the count doubles: at most twice the channels still paced.
    assert 5000 <= pacer.remembered < 10_000
    time.now += 0.5
    await pacer.wait_turn("D9999")  # paced, not forgotten
    assert time.sleeps == [1.0, 0.5]
