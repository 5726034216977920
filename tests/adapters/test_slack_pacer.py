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
