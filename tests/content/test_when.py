"""The `when` grammar: what parses to what, and what is refused with which reason."""

from __future__ import annotations

from datetime import time

import pytest

from content.when import (
    AfterIntervention,
    AtSession,
    Every,
    OnEnrol,
    Relative,
    When,
    WhenError,
    parse_when,
    referenced_sessions,
    resolve_references,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on enrol", OnEnrol()),
        ("on enroll", OnEnrol()),
        ("On Enrolment", OnEnrol()),
        ("on enrollment", OnEnrol()),
        ("at s1", AtSession("s1")),
        ("  at   kick-off.2  ", AtSession("kick-off.2")),
        ("2 days before s1", Relative(amount=2, unit="days", direction="before", session="s1")),
        ("1 day after s2 at 09:00", Relative(1, "days", "after", "s2", at=time(9, 0))),
        ("1 hour before s3", Relative(1, "hours", "before", "s3")),
        ("3 HOURS AFTER s3", Relative(3, "hours", "after", "s3")),
        ("1 week after s1 at 7:05", Relative(1, "weeks", "after", "s1", at=time(7, 5))),
        ("0 days after s1 at 23:59", Relative(0, "days", "after", "s1", at=time(23, 59))),
        ("every monday from s1 until s3", Every(weekday=0, start_session="s1", end_session="s3")),
        ("every Fri at 15:00 from s1 until s1", Every(4, "s1", "s1", at=time(15, 0))),
        ("every sunday from a until b", Every(6, "a", "b")),
    ],
)
def test_parses(text: str, expected: When) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "`when` is empty"),
        ("   ", "`when` is empty"),
        ("tomorrow", "cannot read `when: tomorrow`"),
        ("on enrolled", "cannot read `when: on enrolled`"),
        ("2 months after s1", "cannot read `when: 2 months after s1`"),
        ("-1 days after s1", "cannot read `when: -1 days after s1`"),
        ("two days after s1", "cannot read `when: two days after s1`"),
        ("2 days after", "cannot read `when: 2 days after`"),
        ("2 days around s1", "cannot read `when: 2 days around s1`"),
        ("1 day after s1 at 9", "cannot read `when: 1 day after s1 at 9`"),
        ("1 day after s1 at 24:00", "`at 24:00` is not a time of day"),
        ("1 day after s1 at 12:60", "`at 12:60` is not a time of day"),
        ("at 09:00", "cannot read `when: at 09:00`"),
        ("every mondays from s1 until s2", "`mondays` is not a weekday"),
        ("every tues from s1 until s2", "`tues` is not a weekday"),
        ("every monday from s1", "cannot read `when: every monday from s1`"),
        ("every monday until s2 from s1", "cannot read"),
    ],
)
def test_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text)
    assert str(caught.value).startswith(reason)


def test_the_generic_refusal_lists_the_grammar() -> None:
    with pytest.raises(WhenError, match=r"expected `on enrol`, `at <session>`, .*`every <weekday>"):
        parse_when("soon")


SESSIONS = frozenset({"s1", "s2"})


def test_after_a_name_that_is_no_session_is_after_an_intervention() -> None:
    parsed = parse_when("3 days after practice-1 at 10:00")
    assert resolve_references(parsed, SESSIONS) == AfterIntervention(3, "practice-1", at=time(10, 0))


@pytest.mark.parametrize("text", ["3 days after s1", "2 days before s9", "at s1", "on enrol"])
def test_resolving_keeps_session_references(text: str) -> None:
    parsed = parse_when(text)
    assert resolve_references(parsed, SESSIONS) == parsed


def test_only_days_may_follow_an_intervention() -> None:
    with pytest.raises(WhenError, match=r"`quiz` is not a session; after an intervention only `<n> days`"):
        resolve_references(parse_when("2 weeks after quiz"), SESSIONS)


@pytest.mark.parametrize(
    ("text", "sessions"),
    [
        ("on enrol", ()),
        ("at s2", ("s2",)),
        ("1 hour before s1", ("s1",)),
        ("every tue from s1 until s2", ("s1", "s2")),
    ],
)
def test_referenced_sessions(text: str, sessions: tuple[str, ...]) -> None:
    assert referenced_sessions(parse_when(text)) == sessions


def test_an_intervention_reference_names_no_session() -> None:
    assert referenced_sessions(resolve_references(parse_when("1 day after tip"), SESSIONS)) == ()
