"""Who wrote: a person with every role they have, never only "the learner".

A person may be a learner (their current enrolment), a coach of cohorts and a manager of
learners, several at once; the inbound chain's rules decide by these roles what happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.messages import Identity
from bot.flows.turn import Learner
from bot.storage.models import Cohort, Person
from bot.storage.repository import Session, cohort_roles_of, current_enrolment_and_cohort
from content.model import Program


@dataclass(slots=True)
class Actor:
    """The person behind an inbound event, the account they used, and their roles."""

    person: Person
    account: Identity
    learner: Learner | None = None  # their current enrolment, with its cohort and programme
    coach_of: tuple[str, ...] = ()  # cohort ids
    manager_of: tuple[str, ...] = ()  # cohort ids where they manage learners
    program_language: str = "nl"  # of a cohort they serve: a roster gives coaches no language

    @property
    def person_id(self) -> int:
        assert self.person.id is not None, "people are flushed before flows see them"
        return self.person.id

    @property
    def language(self) -> str:
        if self.learner is not None:
            return self.learner.language
        return self.person.language or self.program_language


async def load_actor(
    session: Session, person: Person, account: Identity, programs: Mapping[str, Program]
) -> Actor:
    """The person's roles: their current enrolment (when its programme is loaded) and the
    cohorts they coach or manage in."""
    assert person.id is not None
    actor = Actor(person=person, account=account)
    enrolled = await current_enrolment_and_cohort(session, person.id)
    if enrolled is not None:
        enrolment, cohort = enrolled
        program = programs.get(cohort.program_id)
        if program is not None:
            actor.learner = Learner(person=person, enrolment=enrolment, cohort=cohort, program=program)
    roles = await cohort_roles_of(session, person.id)
    actor.coach_of = tuple(cohort for cohort, role in roles if role == "coach")
    actor.manager_of = tuple(cohort for cohort, role in roles if role == "manager")
    if actor.learner is None and roles:
        served = await session.get(Cohort, roles[0][0])
        served_program = programs.get(served.program_id) if served is not None else None
        actor.program_language = served_program.language if served_program is not None else "nl"
    return actor
