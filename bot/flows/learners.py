"""Loading a learner (person, enrolment, cohort, program) for work that has no inbound event."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.turn import Learner
from bot.storage.models import Cohort, Enrolment, Person
from bot.storage.repository import Session
from content.model import Program


async def load_learner(
    session: Session, enrolment_id: int, programs: Mapping[str, Program]
) -> Learner | None:
    """The learner of an enrolment, or None when its cohort's program is no longer loaded."""
    enrolment = await session.get(Enrolment, enrolment_id)
    if enrolment is None:
        return None
    person = await session.get(Person, enrolment.person_id)
    cohort = await session.get(Cohort, enrolment.cohort_id)
    program = programs.get(cohort.program_id) if cohort else None
    if person is None or cohort is None or program is None:
        return None
    return Learner(person=person, enrolment=enrolment, cohort=cohort, program=program)
