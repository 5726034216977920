"""A chat adapter whose sends wait until the test lets them finish: to watch concurrency.

Every `send` records that it started, then waits on the gate of its delivery key (closed
unless `auto_open`) before it fails (see `fail`) or succeeds. The adapter keeps what is in
flight, the most sends ever in flight at once, and per recipient whether two ever overlapped.
Tests wait for a state with `wait_until`, which re-checks a condition at every change, never
on a clock.

    adapter = GatedAdapter()
    running = asyncio.create_task(dispatcher.run_due())
    await adapter.wait_until(lambda: len(adapter.in_flight) == 4)
    adapter.open_all()
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable

from bot.adapters.base import InboundHandler
from bot.domain.messages import Outbound, Platform, SendReceipt


class GatedAdapter:
    def __init__(self, platform: Platform = "console", *, auto_open: bool = False) -> None:
        self._platform: Platform = platform
        self._auto_open = auto_open
        self.started: list[str] = []  # delivery keys, in the order their sends began
        self.sent: list[Outbound] = []  # accepted messages, in the order they finished
        self.in_flight: dict[str, str] = {}  # delivery key -> recipient's external id
        self.most_in_flight = 0
        self.overlapping_recipients: set[str] = set()
        self._gates: dict[str, asyncio.Event] = {}
        self._failures: dict[str, Exception] = {}
        self._ids = itertools.count(1)
        self._tick = asyncio.Event()

    @property
    def platform(self) -> Platform:
        return self._platform

    async def start(self, on_inbound: InboundHandler) -> None:
        pass

    async def stop(self) -> None:
        pass

    def fail(self, delivery_key: str, error: Exception) -> None:
        """The send of `delivery_key` raises `error` (once) when its gate opens."""
        self._failures[delivery_key] = error

    def open(self, delivery_key: str) -> None:
        self._gate(delivery_key).set()

    def open_all(self) -> None:
        """Let every send finish, now and from now on."""
        self._auto_open = True
        for gate in self._gates.values():
            gate.set()

    async def send(self, message: Outbound) -> SendReceipt:
        key, recipient = message.delivery_key, message.recipient.external_id
        if recipient in self.in_flight.values():
            self.overlapping_recipients.add(recipient)
        self.started.append(key)
        self.in_flight[key] = recipient
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        self._notify()
        try:
            await asyncio.sleep(0)  # a yield, as a network call would: other sends get their turn
            await self._gate(key).wait()
            if key in self._failures:
                raise self._failures.pop(key)
            self.sent.append(message)
            return SendReceipt(platform_message_id=str(next(self._ids)))
        finally:
            del self.in_flight[key]
            self._notify()

    def sent_keys(self, recipient: str | None = None) -> list[str]:
        return [m.delivery_key for m in self.sent if recipient in (None, m.recipient.external_id)]

    def duplicates(self) -> list[str]:
        return [key for key, count in Counter(self.sent_keys()).items() if count > 1]

    async def wait_until(self, predicate: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checked at every send that starts or ends;
        `within` seconds only bound a broken test."""
        async with asyncio.timeout(within):
            while True:
                tick = self._tick  # taken before the check, so no change between is missed
                if predicate():
                    return
                await tick.wait()

    def _gate(self, delivery_key: str) -> asyncio.Event:
        gate = self._gates.setdefault(delivery_key, asyncio.Event())
        if self._auto_open:
            gate.set()
        return gate

    def _notify(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()
