"""`program.md`: the program's front matter (id, title, language, sessions, sending rules)
and its body, the welcome message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import yaml

from content.document import read_document
from content.fields import Entry, Fields
from content.model import LANGUAGES, Language, SendWindow, Session
from content.problems import FileProblems
from content.sections import Markdown, check_images
from content.when import WEEKDAYS

PROGRAM_FILE = "program.md"
PROGRAM_KEYS = ("id", "title", "language", "sessions", "send_window", "workdays", "max_per_day")
SESSION_KEYS = ("id", "title")
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # the names a `when` expression can refer to
ID_RULE = "letters, digits, `-`, `_` and `.`, starting with a letter or digit"

_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WINDOW = re.compile(r"^(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class Header:
    """What program.md says, read as far as it is valid; `None` fields were missing or bad."""

    path: Path
    id: str | None
    title: str | None
    language: Language | None
    sessions: tuple[Session, ...] | None  # None: unreadable, so references to them go unchecked
    welcome: str
    send_window: SendWindow
    workdays: frozenset[int]
    max_per_day: int


def read_header(path: Path, problems: FileProblems) -> Header | None:
    """Read program.md as far as it is readable; None when it has no usable front matter."""
    document = read_document(path, problems)
    if document is None:
        return None
    fields = Fields(document.front, offset=document.front_offset, line=1, problems=problems)
    if not fields.is_mapping:
        return None
    fields.allow(PROGRAM_KEYS)
    fields.require("id", "title", "language", "sessions")
    if not document.body.strip():
        problems.add(document.body_line - 1, "empty body: write the welcome message under the front matter")
    body = Markdown.parse(document.body, first_line=document.body_line)
    check_images(body, source=path, folder=path.parent, problems=problems)
    return Header(
        path=path,
        id=_program_id(fields, folder=path.parent),
        title=fields.text("title"),
        language=_language(fields),
        sessions=_sessions(fields),
        welcome=document.body.strip(),
        send_window=_send_window(fields),
        workdays=_workdays(fields),
        max_per_day=_max_per_day(fields),
    )


def checked_id(fields: Fields, key: str) -> str | None:
    """The text of an id key, when it is a usable id."""
    value = fields.text(key)
    if value is not None and not ID.match(value):
        fields.problems.add(fields.key_line(key), f"`{key}: {value}` is not a valid id; use {ID_RULE}")
        return None
    return value


def _program_id(fields: Fields, *, folder: Path) -> str | None:
    value = checked_id(fields, "id")
    folder_name = folder.resolve().name
    if value is not None and value != folder_name:
        fields.problems.add(
            fields.key_line("id"), f"program id `{value}` differs from its folder name `{folder_name}`"
        )
    return value


def _language(fields: Fields) -> Language | None:
    return fields.one_of("language", LANGUAGES, noun="language")


def _sessions(fields: Fields) -> tuple[Session, ...] | None:
    items = fields.items("sessions")
    if items is None:
        return None
    if not items:
        fields.problems.add(fields.key_line("sessions"), "`sessions` needs at least one session")
        return None
    sessions: dict[str, Session] = {}
    for item in items:
        item.allow(SESSION_KEYS)
        item.require(*SESSION_KEYS)
        session_id, title = checked_id(item, "id"), item.text("title")
        if session_id in sessions:
            item.problems.add(item.key_line("id"), f"duplicate session id `{session_id}`")
        elif session_id is not None:
            # Kept without a title too, so references to it are not reported as unknown.
            sessions[session_id] = Session(id=session_id, title=title or "")
    return tuple(sessions.values())


def _send_window(fields: Fields) -> SendWindow:
    value = fields.text("send_window")
    if value is None:
        return SendWindow()
    match = _WINDOW.match(value)
    start, end = (_time(match["start"]), _time(match["end"])) if match else (None, None)
    if start is None or end is None:
        fields.problems.add(
            fields.key_line("send_window"), f"`send_window: {value}` must look like `08:30-17:30`"
        )
        return SendWindow()
    if end <= start:
        fields.problems.add(fields.key_line("send_window"), f"`send_window: {value}` ends before it starts")
        return SendWindow()
    return SendWindow(start=start, end=end)


def _time(text: str) -> time | None:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _workdays(fields: Fields) -> frozenset[int]:
    default = frozenset(range(5))
    entry = fields.raw("workdays")
    if entry is None:
        return default
    days = _parse_workdays(entry)
    if not days:
        fields.problems.add(
            entry.line, "`workdays` must be a range like `mon-fri`, or a list like `[mon, tue, wed]`"
        )
        return default
    return days


def _parse_workdays(entry: Entry) -> frozenset[int] | None:
    """mon-fri, `mon, wed`, or a YAML list of day names; None when unreadable."""
    if isinstance(entry.node, yaml.SequenceNode):
        words = [item.value for item in entry.node.value if isinstance(item, yaml.ScalarNode)]
        if len(words) != len(entry.node.value):
            return None
    elif isinstance(entry.node, yaml.ScalarNode):
        text = str(entry.node.value).strip().lower()
        if "-" in text:
            return _day_range(text)
        words = [word for word in re.split(r"[,\s]+", text) if word]
    else:
        return None
    days = [_weekday(str(word)) for word in words]
    if not days or any(day is None for day in days):
        return None
    return frozenset(day for day in days if day is not None)


def _day_range(text: str) -> frozenset[int] | None:
    first, _, last = (part.strip() for part in text.partition("-"))
    start, end = _weekday(first), _weekday(last)
    if start is None or end is None or end < start:
        return None
    return frozenset(range(start, end + 1))


def _weekday(word: str) -> int | None:
    word = word.strip().lower()
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    return _FULL_DAYS.index(word) if word in _FULL_DAYS else None


def _max_per_day(fields: Fields) -> int:
    value = fields.number("max_per_day")
    if value is not None and value < 1:
        fields.problems.add(fields.key_line("max_per_day"), "`max_per_day` must be 1 or more")
        return 2
    return 2 if value is None else value
