"""Platform-neutral values the Telegram adapter reports besides `Inbound`.

They import nothing from `telegram`, so the core can use them; they are meant to move to
`bot/domain/messages.py` and `bot/domain/errors.py` (Slack has the same events: a user who
leaves, a channel that is renamed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain.errors import SendError
from bot.domain.messages import Identity

MembershipKind = Literal["blocked", "unblocked", "moved"]


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """The bot's standing in a chat changed: the person blocked or unblocked it, the bot was
    removed from or added to a group, or a group moved to a new id (`moved_to`).

    `event_id` is the platform's id for the event, unique together with the platform, like
    `Inbound.event_id`, so a redelivered change is applied once.
    """

    identity: Identity
    event_id: str
    received_at: datetime
    kind: MembershipKind
    moved_to: Identity | None = None


MembershipHandler = Callable[[MembershipChange], Awaitable[None]]


class ChatMoved(SendError):
    """The chat has a new id (a Telegram group became a supergroup): store `moved_to` in place
    of the old identity, then send again. Nothing was delivered to the old id."""

    retryable = True

    def __init__(self, message: str, *, moved_to: Identity) -> None:
        super().__init__(message)
        self.moved_to = moved_to
