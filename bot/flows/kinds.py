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
from dataclasses import replace
from datetime import datetime

from bot.domain.messages import Reply
from bot.flows import peers
from bot.flows.asking import delivery_now, with_prompt
from bot.flows.delivering import on_delivered, render_delivery, reply_from_payload
from bot.flows.learners import load_learner
from bot.flows.turn import Learner
from bot.i18n import translate
from bot.kinds import DeliveryKind
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
        introduced = await _peer_introduction(session, learner, delivery)
        message = introduced or await render_delivery(session, learner, delivery)
        return await with_prompt(session, delivery, message)

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


async def _peer_introduction(session: Session, learner: Learner, delivery: Delivery) -> Reply | None:
    """A peer-feedback step sent (or sent again) is the learner's introduction to its round."""
    if delivery.kind == "catch_up" or delivery.intervention_id is None:
        return None
    item = learner.program.intervention(delivery.intervention_id)
    if item.type != "peer-feedback":
        return None
    introduced = await peers.introduction(session, learner, item, now=delivery_now(delivery))
    if introduced is None and await peers.nobody_else(session, learner, item):
        task = await render_delivery(session, learner, delivery)  # with its Done button
        return replace(task, text=f"{translate(learner.language, 'peer.alone')}\n\n{task.text}")
    return introduced


async def render_reply(_session: Session, delivery: Delivery) -> Reply | None:
    return reply_from_payload(delivery.payload)
