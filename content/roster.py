"""The cohort roster: the YAML file `coachbot cohort import` reads.

Parsing is pure: it checks the roster against the known programs and returns values; the
caller stores them. Problems name lines, not people, so they can be printed or logged safely.

Example::

    id: fb-2027-q1
    program: feedback-geven
    timezone: Europe/Amsterdam
    sessions: {s1: 2027-01-12T09:00, s2: 2027-02-02T09:00, s3: 2027-02-23T09:00}
    coaches:
      - {email: coach@acme.example, name: Carla Coach}
      - {email: piet@acme.example, name: Piet Coach, lead: true}
    coach_room: {slack: C0123ABC, telegram: -1001234567890}
    coach_response_hours: 4
    managers: [{email: mark@acme.example, name: Mark Manager}]
    participants:
      - {email: anna@acme.example, name: Anna de Vries, manager: mark@acme.example}
      - {email: bram@acme.example, name: Bram Bakker, language: en, timezone: Europe/London}

Session times are local to the cohort's `timezone`, written `YYYY-MM-DDTHH:MM` without an offset.
One coach leads (told when nobody claims a learner's case in time): the one marked `lead: true`,
else the first coach not marked `lead: false`. `coach_room` names the coaches' group chat on a
platform, where cases are posted; `coach_response_hours` is how many working hours the coaches
have to claim one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from content.document import read_text, read_yaml
from content.fields import Entry, Fields
from content.header import checked_id
from content.model import LANGUAGES, Language, Program
from content.problems import ContentError, FileProblems, Problem, sorted_problems

ROSTER_KEYS = (
    "id",
    "program",
    "timezone",
    "sessions",
    "coaches",
    "coach_room",
    "coach_response_hours",
    "managers",
    "participants",
)
CONTACT_KEYS = ("email", "name")  # a manager's
COACH_KEYS = (*CONTACT_KEYS, "lead")
PARTICIPANT_KEYS = ("email", "name", "manager", "language", "timezone", "team")
ROOM_PLATFORMS = ("slack", "telegram")  # the console is one person's terminal: it has no rooms
DEFAULT_RESPONSE_HOURS = 4.0
MAX_RESPONSE_HOURS = 40.0  # a working week: a case waiting longer is not "on demand"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?$")
_HOURS = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
# A room's id on its platform, and what to write when it is not one: Slack's channel ids start
# with C (public) or G (private, older workspaces); Telegram's group chats have negative ids.
_ROOM_IDS = {
    "slack": (
        re.compile(r"^[CG][A-Z0-9]+$"),
        "`slack` in `coach_room` must be a Slack channel id like `C0123ABC` (not the channel's name)",
    ),
    "telegram": (
        re.compile(r"^-[1-9][0-9]*$"),
        "`telegram` in `coach_room` must be a Telegram group id: a negative number like `-1001234567890`",
    ),
}
_ROOM_PLATFORM_NAMES = " or ".join(f"`{platform}`" for platform in ROOM_PLATFORMS)
_MANAGER_LEADS = "`lead` is for coaches: a manager never leads"


@dataclass(frozen=True, slots=True)
class Contact:
    """A coach or manager. `email` is lower-case: e-mails are compared case-insensitively.
    `lead`: the cohort's lead coach (managers never lead)."""

    email: str
    name: str
    lead: bool = False


@dataclass(frozen=True, slots=True)
class Participant:
    """A learner; None means "the cohort's" (timezone) or "the program's" (language)."""

    email: str
    name: str
    manager: str | None = None  # a manager's lower-case e-mail
    language: Language | None = None
    timezone: str | None = None
    team: str | None = None  # peer-feedback rounds prefer partners from another team


@dataclass(frozen=True, slots=True)
class Roster:
    """One cohort as imported; `sessions` are naive local datetimes in the program's order;
    `coach_room` is (platform, the room's chat id) in the order written."""

    id: str
    program_id: str
    timezone: str
    sessions: tuple[tuple[str, datetime], ...]
    coaches: tuple[Contact, ...]
    managers: tuple[Contact, ...]
    participants: tuple[Participant, ...]
    coach_room: tuple[tuple[str, str], ...] = ()
    coach_response_hours: float = DEFAULT_RESPONSE_HOURS


def parse_roster(path: Path, programs: Mapping[str, Program]) -> Roster:
    """Read and check a roster; raises `ContentError` listing every problem at once."""
    sink: list[Problem] = []
    problems = FileProblems(path=path, sink=sink)
    fields = _read(path, problems)
    roster = _roster(fields, programs) if fields is not None else None
    if sink or roster is None:
        raise ContentError(sorted_problems(sink))
    return roster


def _read(path: Path, problems: FileProblems) -> Fields | None:
    text = read_text(path, problems)
    if text is None:
        return None
    ok, node = read_yaml(text, offset=1, problems=problems)
    if not ok:
        return None
    if node is None:
        problems.add(1, "the roster is empty")
        return None
    fields = Fields(node, offset=1, line=1, problems=problems)
    fields.allow(ROSTER_KEYS)
    fields.require("id", "program", "timezone", "sessions", "participants")
    return fields


def _roster(fields: Fields, programs: Mapping[str, Program]) -> Roster | None:
    roster_id = checked_id(fields, "id")
    program = _program(fields, programs)
    timezone = _timezone(fields, "timezone")
    sessions = _sessions(fields, program)
    coaches = _coaches(fields)
    coach_room = _coach_room(fields)
    response_hours = _response_hours(fields)
    managers = _managers(fields)
    participants = _participants(fields, managers={manager.email for manager in managers})
    if roster_id is None or program is None or timezone is None:
        return None
    return Roster(
        id=roster_id,
        program_id=program.id,
        timezone=timezone,
        sessions=sessions,
        coaches=coaches,
        managers=managers,
        participants=participants,
        coach_room=coach_room,
        coach_response_hours=response_hours,
    )


def _program(fields: Fields, programs: Mapping[str, Program]) -> Program | None:
    value = fields.text("program")
    if value is None:
        return None
    if value not in programs:
        known = ", ".join(sorted(programs)) or "none"
        fields.problems.add(fields.key_line("program"), f"unknown program `{value}`; known: {known}")
        return None
    return programs[value]


def _timezone(fields: Fields, key: str) -> str | None:
    value = fields.text(key)
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        fields.problems.add(
            fields.key_line(key), f"unknown timezone `{value}`; use an IANA name like `Europe/Amsterdam`"
        )
        return None
    return value


def _sessions(fields: Fields, program: Program | None) -> tuple[tuple[str, datetime], ...]:
    dates = fields.mapping("sessions")
    if dates is None:
        return ()
    found = {entry.key: (entry, _local_time(entry, dates)) for entry in dates}
    if program is None:
        return ()
    expected = [session.id for session in program.sessions]
    listed = ", ".join(expected)
    for session_id in expected:
        if session_id not in found:
            dates.problems.add(
                fields.key_line("sessions"), f"missing session `{session_id}`; `{program.id}` has {listed}"
            )
    for entry, _ in found.values():
        if entry.key not in expected:
            dates.problems.add(entry.line, f"unknown session `{entry.key}`; `{program.id}` has {listed}")
    ordered = [found[key] for key in expected if key in found]
    _check_order(ordered, dates)
    return tuple((entry.key, when) for entry, when in ordered if when is not None)


def _check_order(ordered: list[tuple[Entry, datetime | None]], dates: Fields) -> None:
    """Sessions must happen in the program's order, each after the one before."""
    timed = [(entry, when) for entry, when in ordered if when is not None]
    for (before, earlier), (entry, later) in itertools.pairwise(timed):
        if later <= earlier:
            dates.problems.add(entry.line, f"session `{entry.key}` must be after `{before.key}`")


def _local_time(entry: Entry, dates: Fields) -> datetime | None:
    """`YYYY-MM-DDTHH:MM`, read from the text as written: YAML would turn some forms into
    datetimes and leave others as strings, so its typing is ignored."""
    text = _written(entry)
    if _LOCAL_TIME.match(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    dates.problems.add(
        entry.line,
        f"session `{entry.key}` needs a local date and time like `2027-01-12T09:00` (no offset)",
    )
    return None


def _coaches(fields: Fields) -> tuple[Contact, ...]:
    items = _people(fields, "coaches", COACH_KEYS)
    lead = _lead_index(fields, items, [_lead_mark(item) for item in items])
    coaches = []
    for index, item in enumerate(items):
        email, name = _email(item, "email"), item.text("name")
        if email is not None and name is not None:
            coaches.append(Contact(email=email, name=name, lead=index == lead))
    return tuple(coaches)


def _lead_mark(item: Fields) -> bool | None:
    """What a coach's entry says about leading: `lead: true`, `lead: false`, or nothing (None)."""
    return item.flag("lead", default=False) if "lead" in item else None


def _lead_index(fields: Fields, items: list[Fields], marks: list[bool | None]) -> int | None:
    """Which coach leads: the one marked `lead: true`, else the first not marked `lead: false`.
    Every cohort with coaches has one lead, so the unclaimed cases always reach someone."""
    marked = [index for index, mark in enumerate(marks) if mark]
    if marked:
        first_line = items[marked[0]].key_line("lead")
        for index in marked[1:]:
            items[index].problems.add(
                items[index].key_line("lead"), f"only one coach can lead (`lead: true` at line {first_line})"
            )
        return marked[0]
    unmarked = [index for index, mark in enumerate(marks) if mark is None]
    if items and not unmarked:
        fields.problems.add(
            fields.key_line("coaches"), "one coach must lead: mark one `lead: true` (every coach is `false`)"
        )
    return unmarked[0] if unmarked else None


def _managers(fields: Fields) -> tuple[Contact, ...]:
    managers = []
    for item in _people(fields, "managers", CONTACT_KEYS, elsewhere={"lead": _MANAGER_LEADS}):
        email, name = _email(item, "email"), item.text("name")
        if email is not None and name is not None:
            managers.append(Contact(email=email, name=name))
    return tuple(managers)


def _coach_room(fields: Fields) -> tuple[tuple[str, str], ...]:
    rooms = fields.mapping("coach_room")
    if rooms is None:
        return ()
    found = []
    for entry in rooms:
        if entry.key not in _ROOM_IDS:
            rooms.problems.add(
                entry.line,
                f"unknown platform `{entry.key}` in `coach_room`; use {_ROOM_PLATFORM_NAMES} "
                "(the console has no rooms)",
            )
            continue
        pattern, problem = _ROOM_IDS[entry.key]
        room = _written(entry)
        if pattern.match(room):
            found.append((entry.key, room))
        else:
            rooms.problems.add(entry.line, problem)
    return tuple(found)


def _response_hours(fields: Fields) -> float:
    """`coach_response_hours`, read from the text as written (`4` and `2.5` alike)."""
    entry = fields.raw("coach_response_hours")
    if entry is None:
        return DEFAULT_RESPONSE_HOURS
    text = _written(entry)
    hours = float(text) if _HOURS.match(text) else None
    if hours is None or not 0 < hours <= MAX_RESPONSE_HOURS:
        fields.problems.add(
            entry.line,
            f"`coach_response_hours` must be a number of working hours above 0 and at most "
            f"{MAX_RESPONSE_HOURS:g}, like `4` or `2.5`",
        )
        return DEFAULT_RESPONSE_HOURS
    return hours


def _participants(fields: Fields, *, managers: set[str]) -> tuple[Participant, ...]:
    participants = []
    for item in _people(fields, "participants", PARTICIPANT_KEYS):
        email, name = _email(item, "email"), item.text("name")
        manager = _email(item, "manager")
        if manager is not None and manager not in managers:
            item.problems.add(item.key_line("manager"), "this manager is not listed under `managers`")
        language, timezone = _language(item), _timezone(item, "timezone")
        if email is not None and name is not None:
            participants.append(
                Participant(
                    email=email,
                    name=name,
                    manager=manager,
                    language=language,
                    timezone=timezone,
                    team=item.text("team", one_line=True),
                )
            )
    return tuple(participants)


def _people(
    fields: Fields, key: str, keys: tuple[str, ...], *, elsewhere: Mapping[str, str] | None = None
) -> list[Fields]:
    """The entries of a list of people, each checked for keys (`elsewhere`: keys of other lists,
    with the problem they are here); a repeated e-mail is a problem."""
    items = fields.items(key) or ()
    first_line: dict[str, int] = {}
    for item in items:
        item.allow(keys, elsewhere=elsewhere)
        item.require("email", "name")
        email = item.text("email")
        if email is None:
            continue
        if email.lower() in first_line:
            where = first_line[email.lower()]
            item.problems.add(item.key_line("email"), f"duplicate e-mail in `{key}` (first at line {where})")
        else:
            first_line[email.lower()] = item.key_line("email")
    return list(items)


def _email(item: Fields, key: str) -> str | None:
    """A lower-case e-mail address (the problem names the line, not the address)."""
    entry = item.raw(key)
    if entry is None:
        return None
    value = _written(entry)
    if not _EMAIL.match(value):
        item.problems.add(entry.line, f"`{key}` is not a valid e-mail address")
        return None
    return value.lower()


def _written(entry: Entry) -> str:
    """A value's text as written, whatever YAML would make of it; "" for a list or mapping."""
    return str(entry.node.value).strip() if isinstance(entry.node, yaml.ScalarNode) else ""


def _language(item: Fields) -> Language | None:
    value = item.text("language")
    for language in LANGUAGES:
        if value == language:
            return language
    if value is not None:
        item.problems.add(
            item.key_line("language"), f"unknown language `{value}`; use one of {', '.join(LANGUAGES)}"
        )
    return None
