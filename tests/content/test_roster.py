"""Cohort rosters: a valid one parses to values; each kind of mistake is one `path:line` problem."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from content.model import Program, Session
from content.problems import ContentError
from content.roster import Contact, Participant, Roster, parse_roster

PROGRAMS = {
    "feedback-geven": Program(
        id="feedback-geven",
        title="Feedback geven",
        language="nl",
        sessions=(Session("s1", "Start"), Session("s2", "Midden"), Session("s3", "Eind")),
        welcome="Welkom",
        interventions=(),
        source=Path("program.md"),
    )
}

ROSTER = """\
id: fb-2027-q1
program: feedback-geven
timezone: Europe/Amsterdam
sessions: {s1: 2027-01-12T09:00, s2: 2027-02-02T09:00, s3: 2027-02-23T09:00}
coaches: [{email: coach@acme.example, name: Carla Coach}]
managers: [{email: mark@acme.example, name: Mark Manager}]
participants:
  - {email: anna@acme.example, name: Anna de Vries, manager: mark@acme.example}
  - {email: Bram@Acme.example, name: Bram, manager: MARK@acme.example, language: en, timezone: Europe/London}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    """The problems of a roster, with paths relative to tmp_path."""
    with pytest.raises(ContentError) as caught:
        parse_roster(write(tmp_path, text), PROGRAMS)
    return [str(problem).removeprefix(f"{tmp_path}/") for problem in caught.value.problems]


def test_a_valid_roster(tmp_path: Path) -> None:
    assert parse_roster(write(tmp_path, ROSTER), PROGRAMS) == Roster(
        id="fb-2027-q1",
        program_id="feedback-geven",
        timezone="Europe/Amsterdam",
        sessions=(
            ("s1", datetime(2027, 1, 12, 9, 0)),
            ("s2", datetime(2027, 2, 2, 9, 0)),
            ("s3", datetime(2027, 2, 23, 9, 0)),
        ),
        coaches=(Contact(email="coach@acme.example", name="Carla Coach", lead=True),),
        managers=(Contact(email="mark@acme.example", name="Mark Manager"),),
        participants=(
            Participant(email="anna@acme.example", name="Anna de Vries", manager="mark@acme.example"),
            Participant(
                email="bram@acme.example",
                name="Bram",
                manager="mark@acme.example",
                language="en",
                timezone="Europe/London",
            ),
        ),
    )


def test_sessions_come_in_program_order_and_coaches_and_managers_are_optional(tmp_path: Path) -> None:
    text = """\
id: r
program: feedback-geven
timezone: UTC
sessions:
  s3: 2027-02-23T09:00
  s1: 2027-01-12T09:00
  s2: 2027-02-02T09:00
participants: [{email: a@b.example, name: A}]
"""
    roster = parse_roster(write(tmp_path, text), PROGRAMS)
    assert [session_id for session_id, _ in roster.sessions] == ["s1", "s2", "s3"]
    assert (roster.coaches, roster.managers) == ((), ())
    assert roster.participants == (Participant(email="a@b.example", name="A"),)
    assert (roster.coach_room, roster.coach_response_hours) == ((), 4.0)


@pytest.mark.parametrize(
    "written",
    ["2027-01-12T09:00", "'2027-01-12T09:00'", "2027-01-12T09:00:00", "2027-01-12 09:00"],
)
def test_session_times_as_yaml_string_or_datetime(tmp_path: Path, written: str) -> None:
    """Unquoted `2027-01-12T09:00` is a string to PyYAML, with seconds it is a datetime: both work."""
    text = ROSTER.replace("s1: 2027-01-12T09:00", f"s1: {written}")
    roster = parse_roster(write(tmp_path, text), PROGRAMS)
    assert roster.sessions[0] == ("s1", datetime(2027, 1, 12, 9, 0))


@pytest.mark.parametrize(
    "written",
    ["2027-01-12", "2027-13-01T09:00", "2027-01-12T09:00+01:00", "2027-01-12T09:00Z", "tomorrow", "[1]"],
)
def test_bad_session_times(tmp_path: Path, written: str) -> None:
    text = ROSTER.replace("s1: 2027-01-12T09:00", f"s1: {written}")
    assert problems(tmp_path, text) == [
        "roster.yaml:4: session `s1` needs a local date and time like `2027-01-12T09:00` (no offset)"
    ]


def test_invalid_yaml(tmp_path: Path) -> None:
    assert problems(tmp_path, ROSTER.replace("timezone: Europe/Amsterdam", "timezone: [Europe")) == [
        "roster.yaml:4: invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_unknown_and_missing_keys(tmp_path: Path) -> None:
    text = ROSTER.replace("program: feedback-geven\n", "programme: feedback-geven\n").replace(
        "name: Carla Coach", "naam: Carla Coach"
    )
    assert problems(tmp_path, text) == [
        "roster.yaml:1: missing required key `program`",
        "roster.yaml:2: unknown key `programme`; did you mean `program`?",
        "roster.yaml:5: unknown key `naam`; did you mean `name`?",
        "roster.yaml:5: missing required key `name`",
    ]


def test_unknown_program(tmp_path: Path) -> None:
    assert problems(tmp_path, ROSTER.replace("program: feedback-geven", "program: delegation")) == [
        "roster.yaml:2: unknown program `delegation`; known: feedback-geven"
    ]


@pytest.mark.parametrize("zone", ["Europe/Amsterdamm", "Europe", "../etc/passwd", "europe/amsterdam"])
def test_unknown_timezone(tmp_path: Path, zone: str) -> None:
    assert problems(tmp_path, ROSTER.replace("timezone: Europe/Amsterdam", f"timezone: {zone}")) == [
        f"roster.yaml:3: unknown timezone `{zone}`; use an IANA name like `Europe/Amsterdam`"
    ]


def test_sessions_must_match_the_program(tmp_path: Path) -> None:
    text = ROSTER.replace("s3: 2027-02-23T09:00", "s4: 2027-02-23T09:00")
    assert problems(tmp_path, text) == [
        "roster.yaml:4: missing session `s3`; `feedback-geven` has s1, s2, s3",
        "roster.yaml:4: unknown session `s4`; `feedback-geven` has s1, s2, s3",
    ]


def test_sessions_out_of_order(tmp_path: Path) -> None:
    text = ROSTER.replace("s2: 2027-02-02T09:00", "s2: 2027-01-12T09:00")
    assert problems(tmp_path, text) == ["roster.yaml:4: session `s2` must be after `s1`"]


def test_duplicate_emails_ignore_case(tmp_path: Path) -> None:
    text = ROSTER + "  - {email: ANNA@acme.example, name: Anna again}\n"
    assert problems(tmp_path, text) == [
        "roster.yaml:10: duplicate e-mail in `participants` (first at line 8)"
    ]


def test_a_manager_may_also_be_a_participant(tmp_path: Path) -> None:
    text = ROSTER + "  - {email: mark@acme.example, name: Mark Manager}\n"
    assert len(parse_roster(write(tmp_path, text), PROGRAMS).participants) == 3


@pytest.mark.parametrize(
    "email", ["anna", "anna@", "@acme.example", "anna@acme", "an na@acme.example", "a@b@c.d"]
)
def test_invalid_email(tmp_path: Path, email: str) -> None:
    text = ROSTER.replace("email: anna@acme.example", f"email: '{email}'")
    assert problems(tmp_path, text) == ["roster.yaml:8: `email` is not a valid e-mail address"]


def test_manager_must_be_listed(tmp_path: Path) -> None:
    text = ROSTER.replace("manager: mark@acme.example}", "manager: mia@acme.example}")
    assert problems(tmp_path, text) == ["roster.yaml:8: this manager is not listed under `managers`"]


def test_bad_language_and_participant_timezone(tmp_path: Path) -> None:
    text = ROSTER.replace("language: en, timezone: Europe/London", "language: de, timezone: London")
    assert problems(tmp_path, text) == [
        "roster.yaml:9: unknown language `de`; use one of nl, en",
        "roster.yaml:9: unknown timezone `London`; use an IANA name like `Europe/Amsterdam`",
    ]


def test_all_problems_at_once_and_never_an_address(tmp_path: Path) -> None:
    text = """\
id: two words
program: nope
timezone: Mars/Base
sessions: [s1]
coaches: {email: x}
participants:
  - {email: Anna@acme.example, name: A, manager: boss@acme.example, language: fr}
  - {email: anna@ACME.example, name: B, extra: 1}
  - {email: not-an-address}
"""
    found = problems(tmp_path, text)
    assert found == [
        "roster.yaml:1: `id: two words` is not a valid id; use letters, digits, `-`, `_` and `.`, "
        "starting with a letter or digit",
        "roster.yaml:2: unknown program `nope`; known: feedback-geven",
        "roster.yaml:3: unknown timezone `Mars/Base`; use an IANA name like `Europe/Amsterdam`",
        "roster.yaml:4: `sessions` must be a mapping of `key: value` pairs",
        "roster.yaml:5: `coaches` must be a list of `key: value` mappings",
        "roster.yaml:7: this manager is not listed under `managers`",
        "roster.yaml:7: unknown language `fr`; use one of nl, en",
        "roster.yaml:8: unknown key `extra`; known keys: email, name, manager, language, timezone, team",
        "roster.yaml:8: duplicate e-mail in `participants` (first at line 7)",
        "roster.yaml:9: missing required key `name`",
        "roster.yaml:9: `email` is not a valid e-mail address",
    ]
    assert not any("@" in problem for problem in found)  # problems may be logged: lines, not people


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "roster.yaml:1: the roster is empty"),
        (b"# only a comment\n", "roster.yaml:1: the roster is empty"),
        (b"id: caf\xe9\n", "roster.yaml:1: not UTF-8 text; save the file with UTF-8 encoding"),
        (b"- a\n- b\n", "roster.yaml:1: expected `key: value` lines here"),
    ],
)
def test_unusable_files(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "roster.yaml"
    path.write_bytes(data)
    with pytest.raises(ContentError) as caught:
        parse_roster(path, PROGRAMS)
    assert str(caught.value.problems[0]).removeprefix(f"{tmp_path}/") == expected


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        parse_roster(tmp_path / "nope.yaml", PROGRAMS)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (tmp_path / "nope.yaml", 1)
    assert problem.message.startswith("cannot read the file: ")


# --- coaches: the lead, the coaches' room, their response time ---------------------------------

COACHES = """\
id: fb-2027-q1
program: feedback-geven
timezone: Europe/Amsterdam
sessions: {s1: 2027-01-12T09:00, s2: 2027-02-02T09:00, s3: 2027-02-23T09:00}
coaches:
  - {email: carla@acme.example, name: Carla}
  - {email: piet@acme.example, name: Piet}
  - {email: fenna@acme.example, name: Fenna}
managers: [{email: mark@acme.example, name: Mark Manager}]
participants: [{email: anna@acme.example, name: Anna}]
"""


def _with(text: str, **marks: str) -> str:
    """COACHES with extra keys on coaches' lines, e.g. `piet="lead: true"`."""
    for name, mark in marks.items():
        text = text.replace(f"name: {name.title()}}}", f"name: {name.title()}, {mark}}}")
    return text


def _leads(tmp_path: Path, text: str) -> list[str]:
    return [coach.name for coach in parse_roster(write(tmp_path, text), PROGRAMS).coaches if coach.lead]


def test_the_first_coach_leads_unless_another_is_marked(tmp_path: Path) -> None:
    assert _leads(tmp_path, COACHES) == ["Carla"]
    assert _leads(tmp_path, _with(COACHES, fenna="lead: true")) == ["Fenna"]
    assert _leads(tmp_path, _with(COACHES, carla="lead: false", fenna="lead: false")) == ["Piet"]
    assert _leads(tmp_path, _with(COACHES, carla="lead: true", piet="lead: false")) == ["Carla"]


def test_only_one_coach_can_lead(tmp_path: Path) -> None:
    assert problems(tmp_path, _with(COACHES, piet="lead: true", fenna="lead: true")) == [
        "roster.yaml:8: only one coach can lead (`lead: true` at line 7)"
    ]


def test_one_coach_must_lead(tmp_path: Path) -> None:
    text = _with(COACHES, carla="lead: false", piet="lead: false", fenna="lead: false")
    assert problems(tmp_path, text) == [
        "roster.yaml:5: one coach must lead: mark one `lead: true` (every coach is `false`)"
    ]


def test_lead_is_true_or_false(tmp_path: Path) -> None:
    assert problems(tmp_path, _with(COACHES, piet="lead: '1'", fenna="lead: true")) == [
        "roster.yaml:7: `lead` must be `true` or `false`"
    ]


def test_a_manager_never_leads(tmp_path: Path) -> None:
    text = COACHES.replace("name: Mark Manager}", "name: Mark Manager, lead: true}")
    assert problems(tmp_path, text) == ["roster.yaml:9: `lead` is for coaches: a manager never leads"]
    roster = parse_roster(write(tmp_path, COACHES), PROGRAMS)
    assert roster.managers == (Contact(email="mark@acme.example", name="Mark Manager", lead=False),)


def test_unknown_keys_of_coaches_and_managers_keep_their_error(tmp_path: Path) -> None:
    text = _with(COACHES, piet="leader: true").replace("name: Mark Manager}", "name: Mark, role: x}")
    assert problems(tmp_path, text) == [
        "roster.yaml:7: unknown key `leader`; did you mean `lead`?",
        "roster.yaml:9: unknown key `role`; known keys: email, name",
    ]


def _coach_settings(tmp_path: Path, lines: str) -> tuple[tuple[tuple[str, str], ...], float]:
    roster = parse_roster(write(tmp_path, COACHES + lines), PROGRAMS)
    return roster.coach_room, roster.coach_response_hours


@pytest.mark.parametrize(
    ("lines", "room", "hours"),
    [
        (
            "coach_room: {slack: C0123ABC, telegram: -1001234567890}\n",
            (("slack", "C0123ABC"), ("telegram", "-1001234567890")),
            4.0,
        ),
        ("coach_room: {telegram: '-4567'}\ncoach_response_hours: 2.5\n", (("telegram", "-4567"),), 2.5),
        ("coach_room:\n  slack: G012AB3CD\ncoach_response_hours: 40\n", (("slack", "G012AB3CD"),), 40.0),
        ("coach_room: {}\ncoach_response_hours: '8'\n", (), 8.0),
    ],
)
def test_coach_room_and_response_hours(
    tmp_path: Path, lines: str, room: tuple[tuple[str, str], ...], hours: float
) -> None:
    assert _coach_settings(tmp_path, lines) == (room, hours)


SLACK_ID = (
    "roster.yaml:12: `slack` in `coach_room` must be a Slack channel id like `C0123ABC` "
    "(not the channel's name)"
)
TELEGRAM_ID = (
    "roster.yaml:13: `telegram` in `coach_room` must be a Telegram group id: "
    "a negative number like `-1001234567890`"
)


@pytest.mark.parametrize(
    ("room", "expected"),
    [
        ("slack: '#coaches'", SLACK_ID),
        ("slack: coaches", SLACK_ID),
        ("slack: c0123abc", SLACK_ID),
        ("slack: D0123ABC", SLACK_ID),  # a direct message, not a channel
        ("slack: C", SLACK_ID),
        ("slack: [C0123ABC]", SLACK_ID),
        ("telegram: 1001234567890", TELEGRAM_ID.replace(":13:", ":12:")),  # a person's chat, not a group
        ("telegram: '@coaches'", TELEGRAM_ID.replace(":13:", ":12:")),
        ("telegram: -0", TELEGRAM_ID.replace(":13:", ":12:")),
        (
            "console: me",
            "roster.yaml:12: unknown platform `console` in `coach_room`; use `slack` or "
            "`telegram` (the console has no rooms)",
        ),
        (
            "teams: 19:abc",
            "roster.yaml:12: unknown platform `teams` in `coach_room`; use `slack` or "
            "`telegram` (the console has no rooms)",
        ),
    ],
)
def test_bad_coach_rooms(tmp_path: Path, room: str, expected: str) -> None:
    assert problems(tmp_path, COACHES + f"coach_room:\n  {room}\n") == [expected]


def test_each_bad_room_on_its_own_line(tmp_path: Path) -> None:
    text = COACHES + "coach_room:\n  slack: coaches\n  telegram: 42\n"
    assert problems(tmp_path, text) == [SLACK_ID, TELEGRAM_ID]


def test_coach_room_is_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, COACHES + "coach_room: C0123ABC\n") == [
        "roster.yaml:11: `coach_room` must be a mapping of `key: value` pairs"
    ]


@pytest.mark.parametrize("hours", ["0", "-2", "40.5", "41", "four", "4h", "'4 hours'", "[4]", ".inf", "1e1"])
def test_bad_response_hours(tmp_path: Path, hours: str) -> None:
    assert problems(tmp_path, COACHES + f"coach_response_hours: {hours}\n") == [
        "roster.yaml:11: `coach_response_hours` must be a number of working hours above 0 and at most 40, "
        "like `4` or `2.5`"
    ]


def test_bundled_demo_rosters_match_the_bundled_programs() -> None:
    from content.loader import load_programs

    repo = Path(__file__).parents[2]
    programs = load_programs(repo / "content" / "programs")
    rosters = sorted((repo / "content" / "cohorts").glob("*.yaml"))
    assert rosters, "no demo roster in content/cohorts"
    for path in rosters:
        assert parse_roster(path, programs).program_id in programs
