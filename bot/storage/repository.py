"""Queries the flows need, as small typed functions over an AsyncSession."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.messages import Identity as Account
from bot.storage.models import (
    Cohort,
    CohortMember,
    Delivery,
    Enrolment,
    Identity,
    Person,
    Progress,
    Response,
)

Session = AsyncSession


async def identity_of(session: Session, *, platform: str, external_id: str) -> Identity | None:
    statement = select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    return (await session.exec(statement)).first()


async def identity_and_person(
    session: Session, *, platform: str, external_id: str
) -> tuple[Identity, Person] | None:
    """An identity with its person, in one query: what every inbound event asks first."""
    statement = (
        select(Identity, Person)
        .join(Person, col(Person.id) == col(Identity.person_id))
        .where(col(Identity.platform) == platform, col(Identity.external_id) == external_id)
    )
    found = (await session.exec(statement)).first()
    return None if found is None else (found[0], found[1])


async def identities_of(session: Session, person_id: int) -> Sequence[Identity]:
    statement = select(Identity).where(Identity.person_id == person_id).order_by(col(Identity.id).desc())
    return (await session.exec(statement)).all()


async def person_by_email(session: Session, email: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.email == email.lower()))).first()


async def unstarted_without_identity(session: Session, platform: str) -> list[tuple[int, str]]:
    """(person id, e-mail) of every learner on a roster who has not started and has no identity
    on `platform`, oldest first: whom an e-mail directory could find before they write."""
    linked = select(Identity.id).where(
        col(Identity.person_id) == col(Person.id), col(Identity.platform) == platform
    )
    statement = (
        select(Person.id, Person.email)
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .where(
            col(Enrolment.removed_at).is_(None),
            col(Enrolment.started_at).is_(None),
            ~linked.exists(),
        )
        .distinct()
        .order_by(col(Person.id))
    )
    return [(person_id, email) for person_id, email in (await session.exec(statement)).all() if person_id]


async def current_enrolment(session: Session, person_id: int) -> Enrolment | None:
    """The person's newest enrolment that is still on a roster."""
    statement = (
        select(Enrolment)
        .where(Enrolment.person_id == person_id, col(Enrolment.removed_at).is_(None))
        .order_by(col(Enrolment.id).desc())
    )
    return (await session.exec(statement)).first()


async def enrolment_with_person_and_cohort(
    session: Session, enrolment_id: int
) -> tuple[Enrolment, Person, Cohort] | None:
    """An enrolment with its person and cohort, in one query: each planned message asks twice
    (rendered, then marked delivered)."""
    statement = (
        select(Enrolment, Person, Cohort)
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(col(Enrolment.id) == enrolment_id)
    )
    found = (await session.exec(statement)).first()
    return None if found is None else (found[0], found[1], found[2])


async def current_enrolment_and_cohort(session: Session, person_id: int) -> tuple[Enrolment, Cohort] | None:
    """`current_enrolment` with its cohort, in one query: the next thing an inbound event asks."""
    statement = (
        select(Enrolment, Cohort)
        .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
        .where(col(Enrolment.person_id) == person_id, col(Enrolment.removed_at).is_(None))
        .order_by(col(Enrolment.id).desc())
    )
    found = (await session.exec(statement)).first()
    return None if found is None else (found[0], found[1])


async def enrolments_of_cohort(session: Session, cohort_id: str) -> Sequence[Enrolment]:
    statement = select(Enrolment).where(Enrolment.cohort_id == cohort_id).order_by(col(Enrolment.id))
    return (await session.exec(statement)).all()


async def members_of_cohort(session: Session, cohort_id: str) -> Sequence[CohortMember]:
    return (await session.exec(select(CohortMember).where(CohortMember.cohort_id == cohort_id))).all()


async def people_with_role(session: Session, cohort_id: str, role: str) -> Sequence[Person]:
    """The cohort's coaches or managers (`role`), in the order they were added (roster order)."""
    statement = (
        select(Person)
        .join(CohortMember, col(CohortMember.person_id) == col(Person.id))
        .where(col(CohortMember.cohort_id) == cohort_id, col(CohortMember.role) == role)
        .order_by(col(CohortMember.id))
    )
    return (await session.exec(statement)).all()


async def all_cohorts(session: Session) -> Sequence[Cohort]:
    return (await session.exec(select(Cohort).order_by(col(Cohort.id)))).all()


async def progress_of(session: Session, enrolment_id: int) -> Sequence[Progress]:
    statement = select(Progress).where(Progress.enrolment_id == enrolment_id).order_by(col(Progress.id))
    return (await session.exec(statement)).all()


async def progress_for(
    session: Session, *, enrolment_id: int, intervention_id: str, occurrence: str
) -> Progress | None:
    statement = select(Progress).where(
        Progress.enrolment_id == enrolment_id,
        Progress.intervention_id == intervention_id,
        Progress.occurrence == occurrence,
    )
    return (await session.exec(statement)).first()


async def ensure_progress(
    session: Session, *, enrolment_id: int, intervention_id: str, occurrence: str
) -> Progress:
    """The progress row for this item, created (and flushed, so it has an id) if missing."""
    found = await progress_for(
        session, enrolment_id=enrolment_id, intervention_id=intervention_id, occurrence=occurrence
    )
    if found is not None:
        return found
    created = Progress(enrolment_id=enrolment_id, intervention_id=intervention_id, occurrence=occurrence)
    session.add(created)
    await session.flush()
    return created


async def responses_of(session: Session, enrolment_id: int, *, kind: str | None = None) -> Sequence[Response]:
    statement = select(Response).where(Response.enrolment_id == enrolment_id)
    if kind is not None:
        statement = statement.where(Response.kind == kind)
    return (await session.exec(statement.order_by(col(Response.id)))).all()


async def assessment_answers(
    session: Session, *, enrolment_id: int, intervention_id: str
) -> Sequence[Response]:
    statement = select(Response).where(
        Response.enrolment_id == enrolment_id,
        Response.intervention_id == intervention_id,
        Response.kind == "assessment",
    )
    return (await session.exec(statement.order_by(col(Response.id)))).all()


async def last_sent_at(session: Session, person_id: int) -> datetime | None:
    statement = (
        select(Delivery.sent_at)
        .where(Delivery.person_id == person_id, col(Delivery.sent_at).is_not(None))
        .order_by(col(Delivery.sent_at).desc())
    )
    return (await session.exec(statement)).first()


async def move_identity(session: Session, old: Account, new: Account) -> None:
    """The chat `old` now has the id `new` (same platform): point the identity at it."""
    found = await identity_of(session, platform=old.platform, external_id=old.external_id)
    if found is None:
        return
    taken = await identity_of(session, platform=new.platform, external_id=new.external_id)
    if taken is not None:
        # The new chat is linked already (e.g. a second migration event): keep that link.
        await session.delete(found)
        return
    found.external_id = new.external_id
    session.add(found)


async def cohort_roles_of(session: Session, person_id: int) -> list[tuple[str, str]]:
    """(cohort id, role) of every cohort the person coaches or manages in."""
    statement = (
        select(CohortMember.cohort_id, CohortMember.role)
        .where(col(CohortMember.person_id) == person_id)
        .order_by(col(CohortMember.cohort_id), col(CohortMember.role))
    )
    return [(cohort, role) for cohort, role in (await session.exec(statement)).all()]
