"""What a flow works with while handling one event: the learner, the time, and its replies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.messages import Choice, Reply
from bot.i18n import translate
from bot.storage.models import Cohort, Enrolment, Person
from bot.storage.repository import Session
from content.model import Program
from scheduler.calendar import next_allowed_slot


@dataclass(slots=True)
class Learner:
    """A person in their current enrolment, with the program and cohort it belongs to."""

    person: Person
    enrolment: Enrolment
    cohort: Cohort
    program: Program

    @property
    def language(self) -> str:
        return self.person.language or self.program.language

    @property
    def timezone(self) -> str:
        return self.person.timezone or self.cohort.timezone

    def next_sendable(self, moment: datetime) -> datetime:
        """The first instant at or after `moment` in the programme's send window, on one of its
        workdays, in the learner's timezone: when a message the learner did not ask for may go."""
        program = self.program
        return next_allowed_slot(
            moment, timezone=self.timezone, window=program.send_window, workdays=program.workdays
        )

    def reflection_purpose(self, intervention_id: str, occurrence: str = "") -> dict[str, object]:
        """What a text prompt for one of this learner's reflections waits for."""
        return {"reflection": intervention_id, "occurrence": occurrence, "enrolment": self.enrolment_id}

    @property
    def person_id(self) -> int:
        assert self.person.id is not None, "people are flushed before flows see them"
        return self.person.id

    @property
    def enrolment_id(self) -> int:
        assert self.enrolment.id is not None, "enrolments are flushed before flows see them"
        return self.enrolment.id


@dataclass(slots=True)
class Turn:
    """One unit of work: a session (one transaction), the moment, and the replies collected."""

    session: Session
    now: datetime
    language: str
    replies: list[Reply] = field(default_factory=list)
    accepted: bool = True  # False: a duplicate, or a press on an old keyboard
    notice: str | None = None  # short text for the platform's acknowledgement of a press
    chosen_label: str | None = None  # what the pressed button said, to show in its place
    enqueued: bool = False  # rows for other people were written (a relay): the dispatcher wakes
    programs: Mapping[str, Program] = field(default_factory=dict)  # the loaded programmes, by id
    # The event being handled, unique on its platform: a key part for rows it writes for others
    # that may happen again later (a case claimed, handed back and claimed again).
    event_key: str = ""

    def say(self, key: str, /, *, choices: tuple[Choice, ...] = (), **values: object) -> None:
        self.replies.append(Reply(translate(self.language, key, **values), choices))

    def send(self, reply: Reply) -> None:
        self.replies.append(reply)

    def send_text(self, text: str, choices: tuple[Choice, ...] = ()) -> None:
        self.replies.append(Reply(text, choices))

    def decline(self, key: str, /) -> None:
        """A press that changes nothing (an old keyboard): say so politely, once."""
        self.accepted = False
        self.notice = self.text(key)
        self.say(key)

    def text(self, key: str, /, **values: object) -> str:
        return translate(self.language, key, **values)
