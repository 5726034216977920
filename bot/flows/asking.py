"""A message with buttons opens its prompt as it is rendered (each button keyed), so every open
question stays answerable: one function for every kind of row that asks something."""

from __future__ import annotations

from datetime import datetime

from bot.domain.messages import Reply
from bot.storage import prompts
from bot.storage.models import Delivery
from bot.storage.repository import Session


async def with_prompt(
    session: Session, delivery: Delivery, reply: Reply, *, shown_again: str | None = None
) -> Reply:
    """The row's message with its buttons' prompt opened (each button keyed), as it is rendered."""
    assert delivery.person_id is not None
    return await prompts.ask_choices(
        session,
        person_id=delivery.person_id,
        delivery_key=delivery.key,
        reply=reply,
        now=delivery_now(delivery),
        shown_again=shown_again,
    )


def delivery_now(delivery: Delivery) -> datetime:
    """When a prompt opens for a row being rendered: the moment it was claimed."""
    return delivery.claimed_at or delivery.due_at
