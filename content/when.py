"""`when` expressions: the trainer's words for *when* an intervention is sent.

Parsing is pure and lives here so that `coachbot content check` can reject a bad
expression; turning an expression into a date for one learner is the scheduler's job.

Grammar (case-insensitive, extra spaces ignored)::

    on enrol
    at <session>
    <n> hour(s)|day(s)|week(s) before|after <session> [at HH:MM]
    <n> day(s) after <intervention-id>
    every <weekday> [at HH:MM] from <session> until <session>

A bare name after ``after`` is a session when the program has a session of that id,
otherwise an intervention id; the parser cannot know which, so it returns
:class:`Relative` and :func:`resolve_references` decides with the program's session ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Literal

Unit = Literal["hours", "days", "weeks"]
Direction = Literal["before", "after"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WhenError(ValueError):
    """A `when` expression that does not follow the grammar; the message says why."""


@dataclass(frozen=True, slots=True)
class OnEnrol:
    """Sent at the learner's first contact (kick-off)."""


@dataclass(frozen=True, slots=True)
class AtSession:
    session: str


@dataclass(frozen=True, slots=True)
class Relative:
    """``<n> <unit> before|after <session>``; ``at`` pins the local time of day."""

    amount: int
    unit: Unit
    direction: Direction
    session: str
    at: time | None = None


@dataclass(frozen=True, slots=True)
class AfterIntervention:
    """``<n> days after <intervention-id>``: counted from that intervention's delivery."""

    days: int
    intervention: str
    at: time | None = None


@dataclass(frozen=True, slots=True)
class Every:
    """``every <weekday> [at HH:MM] from <s> until <s>``: weekly, both ends inclusive."""

    weekday: int  # 0 = Monday, as datetime.weekday()
    start_session: str
    end_session: str
    at: time | None = None


When = OnEnrol | AtSession | Relative | AfterIntervention | Every

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_AT = r"(?:\s+at\s+(?P<at>\d{1,2}:\d{2}))?"
_RELATIVE = re.compile(
    rf"^(?P<n>\d+)\s+(?P<unit>hours?|days?|weeks?)\s+(?P<dir>before|after)\s+(?P<ref>{_NAME}){_AT}$",
    re.IGNORECASE,
)
_AT_SESSION = re.compile(rf"^at\s+(?P<ref>{_NAME})$", re.IGNORECASE)
_EVERY = re.compile(
    rf"^every\s+(?P<day>[a-z]+){_AT}\s+from\s+(?P<start>{_NAME})\s+until\s+(?P<end>{_NAME})$",
    re.IGNORECASE,
)
# British and American spellings: enrol, enroll, enrolment, enrollment.
_ON_ENROL = re.compile(r"^on\s+enroll?(?:ment)?$", re.IGNORECASE)


def parse_when(text: str) -> When:
    """Parse one expression; raise :class:`WhenError` naming what is wrong."""
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise WhenError("`when` is empty")
    if _ON_ENROL.match(cleaned):
        return OnEnrol()
    if match := _EVERY.match(cleaned):
        return _parse_every(match)
    if match := _AT_SESSION.match(cleaned):
        return AtSession(session=match["ref"])
    if match := _RELATIVE.match(cleaned):
        return _parse_relative(match)
    raise WhenError(
        f"cannot read `when: {cleaned}`; expected `on enrol`, `at <session>`, "
        "`<n> hours|days|weeks before|after <session> [at HH:MM]`, "
        "`<n> days after <intervention-id>` or "
        "`every <weekday> [at HH:MM] from <session> until <session>`"
    )


def resolve_references(when: When, session_ids: frozenset[str]) -> When:
    """Turn ``<n> days after <name>`` into :class:`AfterIntervention` when <name> is no session."""
    if isinstance(when, Relative) and when.session not in session_ids and when.direction == "after":
        if when.unit != "days":
            raise WhenError(
                f"`{when.session}` is not a session; after an intervention only `<n> days` is allowed"
            )
        return AfterIntervention(days=when.amount, intervention=when.session, at=when.at)
    return when


def referenced_sessions(when: When) -> tuple[str, ...]:
    """The session ids an expression depends on (for validation)."""
    match when:
        case AtSession(session=s) | Relative(session=s):
            return (s,)
        case Every(start_session=start, end_session=end):
            return (start, end)
        case _:
            return ()


def _parse_time(text: str | None) -> time | None:
    if text is None:
        return None
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise WhenError(f"`at {text}` is not a time of day (use HH:MM, 00:00-23:59)")
    return time(hours, minutes)


def _parse_relative(match: re.Match[str]) -> Relative:
    unit = match["unit"].lower()
    normalised: Unit = "hours" if unit.startswith("hour") else "days" if unit.startswith("day") else "weeks"
    direction: Direction = "before" if match["dir"].lower() == "before" else "after"
    return Relative(
        amount=int(match["n"]),
        unit=normalised,
        direction=direction,
        session=match["ref"],
        at=_parse_time(match["at"]),
    )


def _parse_every(match: re.Match[str]) -> Every:
    day = match["day"].lower()[:3]
    if day not in WEEKDAYS or not _is_weekday_word(match["day"].lower()):
        raise WhenError(f"`{match['day']}` is not a weekday (monday ... sunday, or mon ... sun)")
    return Every(
        weekday=WEEKDAYS.index(day),
        start_session=match["start"],
        end_session=match["end"],
        at=_parse_time(match["at"]),
    )


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _is_weekday_word(word: str) -> bool:
    return word in WEEKDAYS or word in _FULL_DAYS
