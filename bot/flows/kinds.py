"""The learner journey's delivery kinds, for the dispatcher (see bot/kinds.py):

- `reply`: an answer to what a person did, written by the inbound chain with its message in
  the payload (and its buttons' prompt opened already); urgent;
- `intervention`: a planned step of the programme, made at send time;
- `reminder`: a step sent again ("later", a catch-up choice);
- `catch_up`: the offer of the required steps a late joiner missed.

A message with buttons opens its prompt as it is rendered, so every open question keeps its
keys (the console's numbers) and stays answerable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.messages import Reply
from bot.flows.delivering import on_delivered, render_delivery, reply_from_payload
from bot.flows.learners import load_learner
from bot.kinds import DeliveryKind
from bot.storage import prompts
from bot.storage.models import Delivery
from bot.storage.repository import Session
from content.model import Program


def journey_kinds(programs: Mapping[str, Program]) -> list[DeliveryKind]:
    """The kinds of the learner journey, rendering with `programs`."""

    async def render_step(session: Session, delivery: Delivery) -> Reply | None:
        if delivery.enrolment_id is None or delivery.person_id is None:
            return None
        learner = await load_learner(session, delivery.enrolment_id, programs)
        if learner is None:
            return None
        return await with_prompt(session, delivery, await render_delivery(session, learner, delivery))

    async def delivered(session: Session, delivery: Delivery, now: datetime) -> None:
        if delivery.enrolment_id is None:
            return
        learner = await load_learner(session, delivery.enrolment_id, programs)
        if learner is not None:
            await on_delivered(session, learner, delivery, now=now)

    return [
        DeliveryKind("reply", render_reply, urgent=True),
        DeliveryKind("intervention", render_step, after_send=delivered),
        DeliveryKind("reminder", render_step, after_send=delivered),
        DeliveryKind("catch_up", render_step),
    ]


async def render_reply(_session: Session, delivery: Delivery) -> Reply | None:
    return reply_from_payload(delivery.payload)


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
