"""First contact: who is this, which enrolment, welcome and kick-off; strangers are told how
to join and nothing about them is kept."""

from __future__ import annotations

from bot.domain.messages import Inbound
from bot.flows.planning import replan
from bot.flows.turn import Learner, Turn
from bot.storage.models import Identity, Person
from bot.storage.repository import person_by_email

# Platforms where the chat identity *is* the person's e-mail, vouched for by whoever runs it.
EMAIL_IDENTIFIED = frozenset({"console"})


async def link_by_email(turn: Turn, inbound: Inbound) -> Person | None:
    """Link a console identity (its id is the e-mail) to the enrolled person with that e-mail."""
    if inbound.identity.platform not in EMAIL_IDENTIFIED:
        return None
    person = await person_by_email(turn.session, inbound.identity.external_id)
    if person is None or person.id is None:
        return None
    turn.session.add(
        Identity(
            person_id=person.id,
            platform=inbound.identity.platform,
            external_id=inbound.identity.external_id,
            created_at=turn.now,
        )
    )
    return person


async def start(turn: Turn, learner: Learner) -> None:
    """/start: the first time, welcome and kick-off; later, pick up where the learner was."""
    enrolment = learner.enrolment
    if enrolment.started_at is not None:
        turn.say("start.again", name=_first_name(learner.person))
        return
    enrolment.started_at = turn.now
    enrolment.active_since = turn.now
    turn.session.add(enrolment)
    turn.send_text(learner.program.welcome)
    turn.say("start.help")
    await replan(turn.session, learner, now=turn.now)


def _first_name(person: Person) -> str:
    return person.name.split(" ", 1)[0]
