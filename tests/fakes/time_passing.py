"""Letting simulated time pass as a running bot would live it: whatever falls due is sent at
its own moment, in order, not all at once at the end (a message sent at its moment counts
towards that day's cap, and what it starts is planned from then)."""

from __future__ import annotations

from datetime import datetime

from bot.app import App
from bot.storage import outbox
from scheduler.clock import FrozenClock


async def live_until(app: App, clock: FrozenClock, moment: datetime) -> None:
    """Move `clock` to `moment`, running the dispatcher at every due time on the way."""
    previous: datetime | None = None
    while (due := await _next_due(app)) is not None and due <= moment and due != previous:
        previous = due
        clock.set(max(due, clock.now()))
        await app.dispatcher.run_due()
    clock.set(moment)
    await app.dispatcher.run_due()


async def _next_due(app: App) -> datetime | None:
    async with app.database.transaction() as session:
        return await outbox.next_due_at(session, platforms=list(app.adapters))
