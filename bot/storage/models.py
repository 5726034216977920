"""The tables. Names follow DESIGN.md's words: one word for one thing, in code and database.

Datetimes are UTC and timezone-aware (see `UTCDateTime`). JSON columns hold small lists
and maps whose shape is documented on the field. Deleting a person deletes what is theirs
(`ondelete`); `personal_data.py` maps which tables and columns that is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Person(SQLModel, table=True):
    """Someone Coachbot knows: learner, manager, coach or trainer (roles follow from links)."""

    __tablename__ = "persons"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    language: str | None = None  # "nl" | "en"; None: the program's language
    timezone: str | None = None  # IANA name; None: the cohort's timezone
    created_at: datetime = _utc()


class Identity(SQLModel, table=True):
    """A person's account on one platform. (platform, external_id) is unique."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", ondelete="CASCADE", index=True)
    platform: str  # "console" | "telegram" | "slack"
    external_id: str
    # Their public name on the platform where it has one (a Telegram @username, without the @),
    # as last seen: a peer-feedback partner is named by it.
    handle: str | None = None
    blocked_at: datetime | None = _utc(default=None)  # the person blocked the bot here
    created_at: datetime = _utc()


class Cohort(SQLModel, table=True):
    """One run of a program with real session dates, imported from a YAML roster."""

    __tablename__ = "cohorts"
    id: str = Field(primary_key=True)
    program_id: str
    timezone: str
    sessions: dict[str, str] = _json(dict)  # session id -> ISO local datetime "2027-01-12T09:00"
    coach_room: dict[str, str] = _json(dict)  # platform -> the coaches' room there (a chat id)
    coach_response_hours: float = 4.0  # working hours within which a coach claims a case
    imported_at: datetime = _utc()


class CohortMember(SQLModel, table=True):
    """A coach or manager of a cohort (learners are `Enrolment`s)."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True)
    person_id: int = Field(foreign_key="persons.id", ondelete="CASCADE")
    role: str  # "coach" | "manager"
    lead: bool = False  # the lead coach: told when nobody claims a case in time


class Enrolment(SQLModel, table=True):
    """A learner in a cohort: their choices, state and development points."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True)
    person_id: int = Field(foreign_key="persons.id", ondelete="CASCADE", index=True)
    manager_id: int | None = Field(default=None, foreign_key="persons.id", ondelete="SET NULL")
    started_at: datetime | None = _utc(default=None)  # first contact on any chat platform
    active_since: datetime | None = _utc(default=None)  # first contact or last resume
    paused_at: datetime | None = _utc(default=None)  # set while paused
    removed_at: datetime | None = _utc(default=None)  # left the roster; nothing more is sent
    chosen: list[str] = _json(list)  # ids of chosen optional interventions
    development_points: list[str] = _json(list)  # competencies, weakest first
    catch_up_offered: list[str] = _json(list)  # intervention ids already offered as catch-up
    team: str | None = None  # the roster's `team:`: peer rounds prefer partners from another
    peers_off: bool = False  # the learner opted out of peer-feedback rounds (/peers off)
    created_at: datetime = _utc()


class Delivery(SQLModel, table=True):
    """One planned outbound message in the outbox. `key` is unique: planning is idempotent.

    status: planned -> sending -> sent | failed (retried at `due_at`, `attempts` counted)
    | dead (given up: permanent error, possibly sent, or too many attempts)
    | cancelled (re-planned away, or the learner left the roster).
    """

    __tablename__ = "deliveries"
    # The dispatcher's claim asks for unsent rows that are due: with an index on status alone
    # it read every planned row of every learner (7.7 ms per claim at 23,000 rows; 0.07 ms with
    # this one). Its leading status column also serves the lookups by status alone.
    # The urgent kinds' claim (answers first) asks by kind: (kind, status, due_at).
    # A coach's answer names the message it answers: (platform, platform_message_id) finds its case.
    __table_args__ = (
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index("ix_deliveries_kind_status_due_at", "kind", "status", "due_at"),
        Index("ix_deliveries_platform_message", "platform", "platform_message_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    # None: a stranger. A person's rows go with them, and an enrolment's with it.
    person_id: int | None = Field(default=None, foreign_key="persons.id", ondelete="CASCADE", index=True)
    enrolment_id: int | None = Field(
        default=None, foreign_key="enrolments.id", ondelete="CASCADE", index=True
    )
    kind: str  # "intervention" | "catch_up" | "reply" | "reminder"
    intervention_id: str | None = None
    occurrence: str = ""  # "" or the local date of a recurring one
    due_at: datetime = _utc(index=True)
    status: str = "planned"
    attempts: int = 0
    claimed_at: datetime | None = _utc(default=None)
    sent_at: datetime | None = _utc(default=None)
    platform: str | None = None  # where it went
    platform_message_id: str | None = None
    last_error: str | None = None  # an error class and code, never message content
    # replies: {"to": [platform, external_id], "text", "choices": [[label, value]], "images"};
    # a stranger's reply payload is emptied once sent, so nothing about them stays.
    payload: dict[str, Any] = _json(dict)
    created_at: datetime = _utc()


class Progress(SQLModel, table=True):
    """A learner's state of one intervention (one occurrence of a recurring one)."""

    __tablename__ = "progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "intervention_id", "occurrence"),)
    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolments.id", ondelete="CASCADE", index=True)
    intervention_id: str
    occurrence: str = ""
    delivered_at: datetime | None = _utc(default=None)
    done_at: datetime | None = _utc(default=None)
    step: int = 0  # quiz question / assessment statement the learner is at
    state: dict[str, Any] = _json(dict)  # per type: {"answers": [...]} etc.


class Response(SQLModel, table=True):
    """What a learner answered. Free text is private unless `shared`."""

    __tablename__ = "responses"
    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolments.id", ondelete="CASCADE", index=True)
    intervention_id: str
    kind: str  # "quiz" | "assessment" | "reflection" | "practice" | "peer-feedback" | "tip"
    step: int = 0  # question or statement index
    value: str | None = None  # chosen option index, scale score, "done"
    text: str | None = None  # free text (reflections): personal data
    competency: str | None = None  # assessments
    shared: bool = False
    created_at: datetime = _utc()


class Prompt(SQLModel, table=True):
    """What the bot asked a person and still waits for: buttons to press (`choices`) or text to
    type (`purpose` says what the text answers). Open while `closed_at` is None; every open one
    stays answerable, on any platform and after a restart.

    `text` is the message that asked, to show it again; it may hold the person's own scores
    (a kick-off's result), so it is emptied when the prompt closes."""

    __tablename__ = "prompts"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id", index=True, ondelete="CASCADE")
    delivery_key: str = Field(index=True)  # the outbox row of the message that asked
    kind: str  # "choices" | "text"
    text: str = ""
    choices: list[list[str]] = _json(list)  # [[label, value, key]]; key: what the console types
    purpose: dict[str, Any] = _json(dict)  # what typed text answers: a reflection, a case ...
    opened_at: datetime = _utc()
    closed_at: datetime | None = _utc(default=None)


class CoachCase(SQLModel, table=True):
    """A learner's request to talk to a human coach, from asking to closing.

    `status`: "asking" (the learner is describing it), "open" (posted, nobody claimed it),
    "claimed" (its coach and the learner talk through the bot), "closed". The chasing moments
    (`coaches_chased_at`, `lead_told_at`, `coach_chased_at`) make each reminder happen once,
    across restarts. The description is the learner's own text: only the learner and the
    cohort's coaches ever see it."""

    __tablename__ = "coach_cases"
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True)
    person_id: int = Field(foreign_key="persons.id", ondelete="CASCADE", index=True)  # the learner
    status: str = Field(index=True)
    description: str = ""
    shares_reflections: bool = False
    coach_id: int | None = Field(default=None, foreign_key="persons.id", ondelete="SET NULL")
    opened_at: datetime = _utc()
    claimed_at: datetime | None = _utc(default=None)
    first_answer_at: datetime | None = _utc(default=None)  # the coach's first relayed message
    closed_at: datetime | None = _utc(default=None)
    closed_by: str | None = None  # "coach" | "learner"
    rating: int | None = None  # 1-5, the learner's answer to "how helpful was it?"
    coaches_chased_at: datetime | None = _utc(default=None)
    lead_told_at: datetime | None = _utc(default=None)
    coach_chased_at: datetime | None = _utc(default=None)
    # A report of peer feedback: the case's learner received it; the cohort's coaches see it.
    peer_feedback_id: int | None = None


class CaseMessage(SQLModel, table=True):
    """One message of a case's conversation, relayed from its author to the other side."""

    __tablename__ = "case_messages"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="coach_cases.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="persons.id", ondelete="SET NULL")
    author_role: str  # "learner" | "coach"
    text: str
    written_at: datetime = _utc()


class PeerRound(SQLModel, table=True):
    """One peer-feedback round of a cohort: a `peer-feedback` step's learners in groups.
    `key` ("<cohort>:<intervention>") is unique, so a round is formed once; it is also the
    pairing's seed, so forming it again (after a crash) gives the same groups."""

    __tablename__ = "peer_rounds"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    cohort_id: str = Field(foreign_key="cohorts.id", index=True)
    intervention_id: str
    anonymous: bool = False
    started_at: datetime = _utc()
    closes_at: datetime = _utc()
    reminded_at: datetime | None = _utc(default=None)  # halfway: who had not given was reminded
    closed_at: datetime | None = _utc(default=None)


class PeerFeedback(SQLModel, table=True):
    """What one member of a round gives another: the giver's answers to the round's prompts.

    status: waiting (not started) -> writing (answering prompt `len(answers)`) -> confirming
    (shown whole, send or write again) -> given (delivered to the receiver). The answers, the
    thank-you and the rating are personal: visible to giver and receiver, and to the coach of a
    report; never to managers (bot/storage/personal_data.py)."""

    __tablename__ = "peer_feedback"
    __table_args__ = (UniqueConstraint("round_id", "giver_id", "receiver_id"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="peer_rounds.id", ondelete="CASCADE", index=True)
    group_no: int
    giver_id: int = Field(foreign_key="persons.id", ondelete="CASCADE", index=True)
    receiver_id: int = Field(foreign_key="persons.id", ondelete="CASCADE", index=True)
    status: str = "waiting"
    answers: list[str] = _json(list)
    given_at: datetime | None = _utc(default=None)
    rating: int | None = None  # the receiver's "how useful", 1-5
    thanks: str | None = None  # the receiver's short thank-you to the giver
    reported_at: datetime | None = _utc(default=None)


class Invite(SQLModel, table=True):
    """A personal join link's token for one enrolment's learner, or for a coach or manager
    (`person_id`, no enrolment). Only its SHA-256 is stored, so the database alone cannot be
    used to join; single-use (`used_at`) and expiring."""

    __tablename__ = "invites"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)  # hex SHA-256 of the token
    enrolment_id: int | None = Field(
        default=None, foreign_key="enrolments.id", ondelete="CASCADE", index=True
    )
    person_id: int | None = Field(default=None, foreign_key="persons.id", ondelete="CASCADE", index=True)
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()


class ProcessedEvent(SQLModel, table=True):
    """Inbound events already handled: a redelivered event has no second effect."""

    __tablename__ = "processed_events"
    platform: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    processed_at: datetime = _utc()
