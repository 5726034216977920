"""Telegram's flood limits for the whole process, enforced before each call that sends.

Telegram allows about 30 messages per second per bot, one per second per chat and 20 per
minute per group; a 429 answer names how long to wait. `SendLimiter` hands out send slots:
each `acquire` reserves the earliest moment all limits allow and waits until then. Global
slots are kept 1/30 s apart in a small calendar rather than behind one pointer, so a message
that must wait for its chat does not hold up messages to other chats in the meantime. A wait
longer than `max_wait` is not waited for: `acquire` raises `RateLimited` at once (so the
outbox dispatcher can reschedule the delivery instead of holding a worker), and reserves
nothing. On top of the slots, no more than `per_second` sends are let go in any sliding
second: a task that wakes late for its slot would otherwise bunch up with the next ones.

Time comes from an injected `Timer`, so tests drive a fake one and never sleep.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.errors import RateLimited


class Timer(Protocol):
    """A monotonic time source and a way to wait on it."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    """The process's monotonic clock and `asyncio.sleep`: the timer for production."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's documented limits, with a margin-free default; lower them to be careful."""

    per_second: float = 30.0
    chat_interval: float = 1.0
    group_per_minute: int = 20
    max_wait: float = 5.0

    @classmethod
    def lifted(cls) -> RateLimits:
        """No spacing at all (a 429's pause is still honoured): for measuring the bot itself
        against a local fake Bot API (bench/telegram_inbound.py), never for Telegram."""
        return cls(per_second=math.inf, chat_interval=0.0, group_per_minute=sys.maxsize)


@dataclass(slots=True)
class _ChatState:
    next_at: float = 0.0
    paused_until: float = 0.0
    recent: deque[float] = field(default_factory=deque)  # group chats: last minute's slots


_PRUNE_EVERY = 1000


class SendLimiter:
    """Spaces sends per chat, per group and for the whole bot; honours 429 pauses."""

    def __init__(self, *, limits: RateLimits | None = None, timer: Timer | None = None) -> None:
        self._limits = limits or RateLimits()
        self._timer: Timer = timer or RealTimer()
        self._slots: list[float] = []  # reserved global send moments, sorted, 1/30 s apart
        self._paused_until = 0.0
        self._chats: dict[int, _ChatState] = {}
        self._reservations = 0
        self._released: deque[float] = deque()  # when sends were let go in the last second

    async def acquire(self, chat_id: int) -> None:
        """Wait for the next slot to send to `chat_id`; raise `RateLimited` if it is too far."""
        while True:
            wait = self._reserve(chat_id)
            if wait > 0:
                await self._timer.sleep(wait)
            # A 429 may have paused this chat (or everything) while we waited for our slot.
            if self._pause_left(chat_id) <= 0:
                await self._within_last_second()
                return

    async def _within_last_second(self) -> None:
        """Hold a send until fewer than `per_second` went out in the last second. Slots are
        spaced, but a task that wakes late for its slot would otherwise go out together with
        the ones whose slots came after it: a burst above the limit that Telegram answers
        with 429."""
        released = self._released
        while True:
            now = self._timer.monotonic()
            while released and released[0] <= now - 1.0:
                released.popleft()
            if len(released) < self._limits.per_second:
                released.append(now)
                return
            await self._timer.sleep(released[0] + 1.0 - now)

    def pause(self, *, seconds: float, chat_id: int | None = None) -> None:
        """Send nothing to `chat_id` (or to anyone, if None) for `seconds` (a 429's retry_after)."""
        until = self._timer.monotonic() + seconds
        if chat_id is None:
            self._paused_until = max(self._paused_until, until)
            return
        state = self._chat(chat_id)
        state.paused_until = max(state.paused_until, until)

    def wait_for(self, chat_id: int) -> float:
        """Seconds until a message to `chat_id` could be sent, reserving nothing."""
        earliest, _ = self._earliest(chat_id)
        return max(0.0, earliest - self._timer.monotonic())

    def _reserve(self, chat_id: int) -> float:
        now = self._timer.monotonic()
        self._forget_slots_before(now)
        slot, scope = self._earliest(chat_id)
        wait = slot - now
        if wait > self._limits.max_wait:
            raise RateLimited(f"telegram: {scope} send limit", retry_after=wait, scope=scope)
        bisect.insort(self._slots, slot)
        state = self._chat(chat_id)
        state.next_at = slot + self._limits.chat_interval
        if _is_group(chat_id):
            state.recent.append(slot)
            while len(state.recent) > self._limits.group_per_minute:
                state.recent.popleft()
        self._prune(now)
        return wait

    def _earliest(self, chat_id: int) -> tuple[float, str]:
        """The earliest moment all limits allow a send to `chat_id`, and which scope binds."""
        now = self._timer.monotonic()
        state = self._chats.get(chat_id) or _ChatState()
        chat_at = max(now, state.next_at, state.paused_until, self._group_window_end(chat_id, state))
        slot = self._free_slot(max(chat_at, self._paused_until))
        return (slot, "global") if slot > chat_at else (slot, "chat")

    def _free_slot(self, earliest: float) -> float:
        """The first moment from `earliest` on that is 1/30 s away from every reserved slot."""
        gap = 1 / self._limits.per_second
        moment = earliest
        index = bisect.bisect_left(self._slots, moment - gap)
        # Reserved slots are sorted and at least `gap` apart: step past each one too close.
        while index < len(self._slots) and self._slots[index] < moment + gap:
            moment = max(moment, self._slots[index] + gap)
            index += 1
        return moment

    def _forget_slots_before(self, now: float) -> None:
        gap = 1 / self._limits.per_second
        del self._slots[: bisect.bisect_left(self._slots, now - gap)]

    def _group_window_end(self, chat_id: int, state: _ChatState) -> float:
        if not _is_group(chat_id) or len(state.recent) < self._limits.group_per_minute:
            return 0.0
        return state.recent[0] + 60.0

    def _pause_left(self, chat_id: int) -> float:
        state = self._chats.get(chat_id)
        until = max(self._paused_until, state.paused_until if state else 0.0)
        return until - self._timer.monotonic()

    def _chat(self, chat_id: int) -> _ChatState:
        return self._chats.setdefault(chat_id, _ChatState())

    def _prune(self, now: float) -> None:
        """Forget chats whose limits have all lapsed, so memory follows active chats only."""
        self._reservations += 1
        if self._reservations % _PRUNE_EVERY:
            return
        lapsed = [chat_id for chat_id, state in self._chats.items() if _lapsed(state, now)]
        for chat_id in lapsed:
            del self._chats[chat_id]


def _lapsed(state: _ChatState, now: float) -> bool:
    last = state.recent[-1] if state.recent else 0.0
    return max(state.next_at, state.paused_until, last + 60.0) <= now


def _is_group(chat_id: int) -> bool:
    # Telegram gives groups and supergroups negative ids, people positive ones.
    return chat_id < 0
