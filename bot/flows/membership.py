"""The bot's standing in a chat: blocked, unblocked, or the chat moved to a new id.

Platforms report these as events (Telegram's `my_chat_member`, a group's migration) or as send
errors (`ChatMoved`); both end up here, so the identity rows say where a person can be reached.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain.messages import MembershipChange
from bot.storage import events
from bot.storage.repository import Session, identity_of, move_identity

log = logging.getLogger(__name__)


async def apply_change(session: Session, change: MembershipChange, *, now: datetime) -> bool:
    """Apply one membership change, once per (platform, event id); False for a duplicate."""
    fresh = await events.record_event(
        session, platform=change.identity.platform, event_id=change.event_id, now=now
    )
    if not fresh:
        return False
    if change.kind == "moved":
        if change.moved_to is not None:
            await move_identity(session, change.identity, change.moved_to)
        return True
    found = await identity_of(
        session, platform=change.identity.platform, external_id=change.identity.external_id
    )
    if found is None:
        return True  # a chat we never linked (a stranger blocking us): nothing to remember
    # Blocked: their rows wait (the outbox only claims for unblocked identities); unblocked:
    # the waiting rows become claimable again.
    found.blocked_at = now if change.kind == "blocked" else None
    session.add(found)
    log.info("identity %s %s", found.id, change.kind)
    return True
