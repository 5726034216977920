"""Per-channel pacing for Slack posts: about one message per second per channel.

Slack allows roughly one `chat.postMessage` per second per channel (short bursts tolerated).
One pacer per process spaces posts to each channel; time comes from injectable `monotonic` and
`sleep` functions so tests compute the spacing without waiting. A post that would have to wait
longer than `max_wait` (a channel held after a 429) raises `RateLimited` instead of blocking the
dispatcher for long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.domain.errors import RateLimited

_FORGET_FROM = 1024  # channels remembered before the first pass that forgets idle ones

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ChannelPacer:
    """Hands out posting slots per channel, `interval` seconds apart."""

    def __init__(
        self,
        *,
        interval: float = 1.0,
        max_wait: float = 5.0,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._max_wait = max_wait
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._forget_from = _FORGET_FROM  # how many channels make the next pass that forgets

    async def wait_turn(self, channel: str) -> None:
        """Wait for this channel's next slot; raise `RateLimited` if it is too far away."""
        now = self._monotonic()
        slot = max(now, self._next_slot.get(channel, now))
        if slot - now > self._max_wait:
            raise RateLimited("slack channel is paced", retry_after=slot - now, scope="chat")
        # Reserve before sleeping, so concurrent senders to one channel queue up behind us.
        self._next_slot[channel] = slot + self._interval
        self._forget_idle(now)
        if slot > now:
            await self._sleep(slot - now)

    def hold(self, channel: str, seconds: float) -> None:
        """Keep the channel quiet for `seconds` (Slack answered 429 with Retry-After)."""
        until = self._monotonic() + seconds
        self._next_slot[channel] = max(until, self._next_slot.get(channel, until))

    @property
    def remembered(self) -> int:
        """How many channels the pacer holds a slot for."""
        return len(self._next_slot)

    def _forget_idle(self, now: float) -> None:
        """Bounded memory: channels whose slot has passed need no entry. A pass over them all
        is made only once their number has doubled since the last one, so it costs each post
        a constant share: when every pass kept them all (thousands of channels posted to within
        a second, as in a broadcast or a busy hour), each post went over all of them."""
        if len(self._next_slot) < self._forget_from:
            return
        self._next_slot = {c: t for c, t in self._next_slot.items() if t > now}
        self._forget_from = max(_FORGET_FROM, 2 * len(self._next_slot))
