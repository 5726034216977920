"""Queries the flows need, as small typed functions over an AsyncSession."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

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

# The inbound chain's lookups, built once and run with parameters: a reused statement keeps
# its cache key, which SQLAlchemy otherwise computes on every execution (docs/performance.md).
_IDENTITY_AND_PERSON = (
    select(Identity, Person)
    .join(Person, col(Person.id) == col(Identity.person_id))
    .where(
        col(Identity.platform) == bindparam("platform"),
        col(Identity.external_id) == bindparam("external_id"),
    )
)
_CURRENT_ENROLMENT_AND_COHORT = (
    select(Enrolment, Cohort)
    .join(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
    .where(col(Enrolment.person_id) == bindparam("person_id"), col(Enrolment.removed_at).is_(None))
    .order_by(col(Enrolment.id).desc())
)
# The same for a group of events at once (see `Senders`), in one query: a person without a
# current enrolment comes with None for it and its cohort.
_SENDERS = (
    select(Identity, Person, Enrolment, Cohort)
    .join(Person, col(Person.id) == col(Identity.person_id))
    .outerjoin(
        Enrolment, and_(col(Enrolment.person_id) == col(Person.id), col(Enrolment.removed_at).is_(None))
    )
    .outerjoin(Cohort, col(Cohort.id) == col(Enrolment.cohort_id))
    .where(
        col(Identity.platform) == bindparam("platform"),
        col(Identity.external_id).in_(bindparam("external_ids", expanding=True)),
    )
    .order_by(col(Enrolment.id).desc())
)


async def identity_of(session: Session, *, platform: str, external_id: str) -> Identity | None:
    statement = select(Identity).where(Identity.platform == platform, Identity.external_id == external_id)
    return (await session.exec(statement)).first()


async def identity_and_person(
    session: Session, *, platform: str, external_id: str
) -> tuple[Identity, Person] | None:
    """An identity with its person, in one query: what every inbound event asks first."""
    params = {"platform": platform, "external_id": external_id}
    found = (await session.exec(_IDENTITY_AND_PERSON, params=params)).first()
    return None if found is None else (found[0], found[1])


@dataclass(frozen=True, slots=True)
class Senders:
    """The accounts behind a group of events, each with its person and that person's current
    enrolment and cohort, found with one query for the whole group: what
    `identity_and_person` and `current_enrolment_and_cohort` would answer one by one.

    A sender missing here is not known (yet): the caller asks one by one, so an account linked
    by an earlier event of the same group is found."""

    people: Mapping[tuple[str, str], tuple[Identity, Person]]
    enrolments: Mapping[int, tuple[Enrolment, Cohort]]

    @classmethod
    async def load(cls, session: Session, accounts: Collection[tuple[str, str]]) -> Senders:
        """`accounts` are (platform, external id) pairs."""
        people: dict[tuple[str, str], tuple[Identity, Person]] = {}
        enrolments: dict[int, tuple[Enrolment, Cohort]] = {}
        for platform in {platform for platform, _ in accounts}:
            ids = sorted({external_id for known, external_id in accounts if known == platform})
            params = {"platform": platform, "external_ids": ids}
            for identity, person, enrolment, cohort in (await session.exec(_SENDERS, params=params)).all():
                people[(identity.platform, identity.external_id)] = (identity, person)
                if enrolment is not None and cohort is not None:
                    enrolments.setdefault(enrolment.person_id, (enrolment, cohort))  # the newest first
        return cls(people, enrolments)


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


async def current_enrolment_and_cohort(session: Session, person_id: int) -> tuple[Enrolment, Cohort] | None:
    """`current_enrolment` with its cohort, in one query: the next thing an inbound event asks."""
    found = (await session.exec(_CURRENT_ENROLMENT_AND_COHORT, params={"person_id": person_id})).first()
    return None if found is None else (found[0], found[1])


async def enrolments_of_cohort(session: Session, cohort_id: str) -> Sequence[Enrolment]:
    statement = select(Enrolment).where(Enrolment.cohort_id == cohort_id).order_by(col(Enrolment.id))
    return (await session.exec(statement)).all()


async def members_of_cohort(session: Session, cohort_id: str) -> Sequence[CohortMember]:
    return (await session.exec(select(CohortMember).where(CohortMember.cohort_id == cohort_id))).all()


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
