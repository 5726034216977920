"""The map of personal data: which tables and columns hold or point to a person's data, how
each table's rows lead to their person, and what erasing that person does to them.

Export and erasure read this map; `tests/storage/test_personal_data.py` checks it against the
tables, so a table or column cannot be forgotten. Data only: no queries here.

Adding a table (coach cases, peer feedback, digests...) or a column:
1. Add a `PersonalTable` to `PERSONAL_DATA`, before the tables its links point to (the tuple is
   in erase order), or, if its rows lead to no person, a line to `NOTHING_PERSONAL` saying why.
2. Name every column once: a `Link` (a foreign key to `persons` or to a table here), a
   `PersonalColumn` with its `Category`, or in `other` (ids and program references that say
   nothing about the person on their own).
3. Give each link's foreign key the `ondelete` its `Erase` names, in models.py and in a
   migration, so that deleting the person's row erases the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """What a column holds about a person."""

    IDENTITY = "identity"  # who they are: e-mail, name, platform accounts, join tokens
    FREE_TEXT = "free text"  # anything they typed: reflections, messages to them with it
    SCORE = "score"  # quiz choices, assessment scores and what follows from them
    CHOICE = "choice/state"  # menu and option choices, settings, progress
    METADATA = "metadata"  # timestamps, statuses, roles


class Erase(StrEnum):
    """What deleting the linked row does to a row that links to it (the key's ON DELETE)."""

    ROW = "CASCADE"  # the row belongs to the linked row's person and goes with them
    LINK = "SET NULL"  # the row is someone else's; only the link to this person is emptied


@dataclass(frozen=True, slots=True)
class Link:
    """A foreign key column pointing to a person or to a row that leads to one."""

    column: str
    table: str  # "persons" or another table in PERSONAL_DATA
    erase: Erase = Erase.ROW


@dataclass(frozen=True, slots=True)
class PersonalColumn:
    name: str
    category: Category


@dataclass(frozen=True, slots=True)
class PersonalTable:
    """A table whose rows belong to a person: through `links` whose `erase` is ROW (none:
    the row is the person)."""

    name: str
    links: tuple[Link, ...]
    columns: tuple[PersonalColumn, ...]
    other: tuple[str, ...] = ("id",)  # columns that say nothing about the person on their own


def _columns(category: Category, *names: str) -> tuple[PersonalColumn, ...]:
    return tuple(PersonalColumn(name, category) for name in names)


PERSON = Link("person_id", "persons")
ENROLMENT = Link("enrolment_id", "enrolments")

# In erase order: every table comes before the tables its links point to.
PERSONAL_DATA: tuple[PersonalTable, ...] = (
    PersonalTable(
        "invites",
        (ENROLMENT, PERSON),  # a learner's through their enrolment, a coach's or manager's directly
        # The hash of a personal join link's token: whoever holds the token becomes this person.
        (
            *_columns(Category.IDENTITY, "token_hash"),
            *_columns(Category.METADATA, "expires_at", "used_at", "created_at"),
        ),
    ),
    PersonalTable(
        "case_messages",
        # A case's messages belong to the learner's case; the coach who wrote some keeps none
        # of them when erased (the learner's conversation stays theirs).
        (Link("case_id", "coach_cases"), Link("author_id", "persons", Erase.LINK)),
        (
            *_columns(Category.FREE_TEXT, "text"),
            *_columns(Category.METADATA, "author_role", "written_at"),
        ),
    ),
    PersonalTable(
        "peer_feedback",
        # Given by one learner to another: it goes when either of them is erased.
        (Link("giver_id", "persons"), Link("receiver_id", "persons")),
        (
            *_columns(Category.FREE_TEXT, "answers", "thanks"),
            *_columns(Category.SCORE, "rating"),
            *_columns(Category.METADATA, "status", "given_at", "reported_at"),
        ),
        other=("id", "round_id", "group_no"),
    ),
    PersonalTable(
        "coach_cases",
        (PERSON, Link("coach_id", "persons", Erase.LINK)),
        (
            *_columns(Category.FREE_TEXT, "description"),
            *_columns(Category.CHOICE, "shares_reflections"),
            *_columns(Category.SCORE, "rating"),
            *_columns(Category.METADATA, "status", "opened_at", "claimed_at", "first_answer_at"),
            *_columns(Category.METADATA, "closed_at", "closed_by"),
            *_columns(Category.METADATA, "coaches_chased_at", "lead_told_at", "coach_chased_at"),
        ),
        # peer_feedback_id: the reported feedback, reached through its own links
        other=("id", "cohort_id", "peer_feedback_id"),
    ),
    PersonalTable(
        "responses",
        (ENROLMENT,),
        (
            *_columns(Category.FREE_TEXT, "text"),
            *_columns(Category.SCORE, "value"),  # chosen option, scale score, "done"
            *_columns(Category.CHOICE, "shared"),
            *_columns(Category.METADATA, "created_at"),
        ),
        other=("id", "intervention_id", "kind", "step", "competency"),
    ),
    PersonalTable(
        "progress",
        (ENROLMENT,),
        (
            *_columns(Category.SCORE, "state"),  # per type, e.g. a quiz's correct answers so far
            *_columns(Category.CHOICE, "step"),
            *_columns(Category.METADATA, "delivered_at", "done_at"),
        ),
        other=("id", "intervention_id", "occurrence"),
    ),
    PersonalTable(
        "prompts",
        (PERSON,),
        (
            # The asking message, to show again: bot-authored, but a kick-off's result holds the
            # person's own scores; emptied when the prompt closes.
            *_columns(Category.SCORE, "text"),
            *_columns(Category.CHOICE, "choices", "purpose"),
            *_columns(Category.METADATA, "opened_at", "closed_at"),
        ),
        other=("id", "delivery_key", "kind"),
    ),
    PersonalTable(
        "deliveries",
        (PERSON, ENROLMENT),  # person_id alone: replies to people without an enrolment
        (
            # A reply's text and its "to" (platform account) until it is sent; a sent row keeps
            # no text (outbox.mark_sent), a stranger's nothing.
            *_columns(Category.FREE_TEXT, "payload"),
            *_columns(Category.IDENTITY, "platform_message_id"),  # finds the message on the platform
            *_columns(Category.METADATA, "platform", "status", "attempts", "last_error"),
            *_columns(Category.METADATA, "due_at", "claimed_at", "sent_at", "created_at"),
        ),
        other=("id", "key", "kind", "intervention_id", "occurrence"),
    ),
    PersonalTable(
        "enrolments",
        (PERSON, Link("manager_id", "persons", Erase.LINK)),
        (
            # development_points: competencies, weakest first, from the insight assessment
            *_columns(Category.SCORE, "development_points"),
            *_columns(Category.CHOICE, "chosen", "catch_up_offered", "team", "peers_off"),
            *_columns(Category.METADATA, "started_at", "active_since", "paused_at", "removed_at"),
            *_columns(Category.METADATA, "created_at"),
        ),
        other=("id", "cohort_id"),
    ),
    PersonalTable(
        "cohort_members", (PERSON,), _columns(Category.METADATA, "role", "lead"), other=("id", "cohort_id")
    ),
    PersonalTable(
        "identities",
        (PERSON,),
        (
            *_columns(Category.IDENTITY, "platform", "external_id", "handle"),
            *_columns(Category.METADATA, "blocked_at", "created_at"),
        ),
    ),
    PersonalTable(
        "persons",
        (),
        (
            *_columns(Category.IDENTITY, "email", "name"),
            *_columns(Category.CHOICE, "language", "timezone"),
            *_columns(Category.METADATA, "created_at"),
        ),
    ),
)

# Tables whose rows lead to no person, and why.
NOTHING_PERSONAL: dict[str, str] = {
    "cohorts": "a run of a program: dates, timezone, coaches' rooms; people join it through their rows",
    "processed_events": "platform event ids already handled; no link to a person",
    "peer_rounds": "a cohort's round of a peer-feedback step: its dates; people are in peer_feedback",
}


def table(name: str) -> PersonalTable:
    """The map of one table; KeyError if it holds nothing personal or is unknown."""
    for mapped in PERSONAL_DATA:
        if mapped.name == name:
            return mapped
    raise KeyError(name)


def tables_of_person() -> tuple[str, ...]:
    """The tables with a person's rows, in erase order (those that point to others first)."""
    return tuple(mapped.name for mapped in PERSONAL_DATA)


def columns(category: Category) -> tuple[tuple[str, str], ...]:
    """Every (table, column) of one category."""
    return tuple(
        (mapped.name, column.name)
        for mapped in PERSONAL_DATA
        for column in mapped.columns
        if column.category is category
    )
