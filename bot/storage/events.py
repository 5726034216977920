"""Inbound event dedupe: a platform may deliver an event twice; it has an effect once.

`record_event` runs in the same transaction as the event's effects: a crash before the commit
forgets both (the redelivered event is handled again), a crash after keeps both (the
redelivered event is recognised and ignored).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import delete
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.db import insert_ignoring
from bot.storage.models import ProcessedEvent

_EVENTS: Final = SQLModel.metadata.tables["processed_events"]


async def record_event(session: AsyncSession, *, platform: str, event_id: str, now: datetime) -> bool:
    """Note that (platform, event_id) is being handled; False if it was handled before.

    On PostgreSQL a concurrent transaction recording the same event makes this one wait for
    it: when that one commits this returns False, when it rolls back this returns True."""
    row = {"platform": platform, "event_id": event_id, "processed_at": now}
    statement = insert_ignoring(session, _EVENTS, [row], unique=["platform", "event_id"])
    return (await session.exec(statement)).rowcount == 1


async def forget_events(session: AsyncSession, *, before: datetime) -> int:
    """Drop events processed before `before` (platforms stop redelivering after hours or
    days); the number dropped."""
    statement = delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < before)
    return (await session.exec(statement)).rowcount
