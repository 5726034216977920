"""Loading a learner (person, enrolment, cohort, program) for work that has no inbound event."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.turn import Learner
from bot.storage.repository import Session, current_enrolment, enrolment_with_person_and_cohort
from content.model import Program


async def load_learner(
    session: Session, enrolment_id: int, programs: Mapping[str, Program]
) -> Learner | None:
    """The learner of an enrolment, or None when its cohort's program is no longer loaded."""
    found = await enrolment_with_person_and_cohort(session, enrolment_id)
    if found is None:
        return None
    enrolment, person, cohort = found
    program = programs.get(cohort.program_id)
    if program is None:
        return None
    return Learner(person=person, enrolment=enrolment, cohort=cohort, program=program)


async def load_current_learner(
    session: Session, person_id: int, programs: Mapping[str, Program]
) -> Learner | None:
    """The person as a learner in their current enrolment, or None when they have none (a
    coach, a manager) or its program is no longer loaded."""
    enrolment = await current_enrolment(session, person_id)
    if enrolment is None or enrolment.id is None:
        return None
    return await load_learner(session, enrolment.id, programs)
