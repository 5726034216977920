"""The sentence that tells a learner when a coach will answer (bot/flows/expectation.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.expectation import expectation_text
from scheduler.calendar import to_utc
from scheduler.working_hours import WorkingHours, add_working_hours

AMSTERDAM = "Europe/Amsterdam"
OFFICE = WorkingHours()
KINGS_DAY = WorkingHours(holidays=frozenset({date(2027, 4, 27)}))  # a Tuesday
CHRISTMAS = WorkingHours(
    holidays=frozenset({date(2027, 12, 24)} | {date(2027, 12, day) for day in range(27, 32)})
)


def amsterdam(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return to_utc(datetime(year, month, day, hour, minute), AMSTERDAM)


def expect(now: datetime, language: str, *, hours: float = 4, working: WorkingHours = OFFICE) -> str:
    """The sentence for a case opened at `now`, with its deadline counted as the lead's flow does."""
    deadline = add_working_hours(now, hours, timezone=AMSTERDAM, working=working)
    return expectation_text(
        now=now, deadline=deadline, hours=hours, timezone=AMSTERDAM, language=language, working=working
    )


@pytest.mark.parametrize(
    ("now", "english", "dutch"),
    [
        (
            amsterdam(2027, 1, 13, 10),  # Wednesday morning
            "A coach usually answers within 4 working hours, so expect an answer before 14:00 today.",
            "Een coach reageert meestal binnen 4 werkuren, "
            "dus je kunt vandaag vóór 14:00 een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 1, 13, 7, 30),  # Wednesday before opening
            "A coach usually answers within 4 working hours, so expect an answer before 13:00 today.",
            "Een coach reageert meestal binnen 4 werkuren, "
            "dus je kunt vandaag vóór 13:00 een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 7, 14, 10),  # a summer Wednesday: the time is local (CEST), not UTC
            "A coach usually answers within 4 working hours, so expect an answer before 14:00 today.",
            "Een coach reageert meestal binnen 4 werkuren, "
            "dus je kunt vandaag vóór 14:00 een antwoord verwachten.",
        ),
    ],
)
def test_an_answer_today_names_the_time(now: datetime, english: str, dutch: str) -> None:
    assert expect(now, "en") == english
    assert expect(now, "nl") == dutch


@pytest.mark.parametrize(
    ("now", "english", "dutch"),
    [
        (
            amsterdam(2027, 1, 13, 15),  # Wednesday afternoon -> Thursday 11:00
            "A coach usually answers within 4 working hours, so expect an answer by tomorrow morning.",
            "Een coach reageert meestal binnen 4 werkuren, "
            "dus je kunt morgenochtend een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 1, 13, 19),  # Wednesday evening -> Thursday 13:00
            "A coach usually answers within 4 working hours; it is evening now, "
            "so expect an answer by tomorrow afternoon.",
            "Een coach reageert meestal binnen 4 werkuren. Het is nu avond, "
            "dus je kunt morgenmiddag een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 1, 13, 17),  # closing time is evening already
            "A coach usually answers within 4 working hours; it is evening now, "
            "so expect an answer by tomorrow afternoon.",
            "Een coach reageert meestal binnen 4 werkuren. Het is nu avond, "
            "dus je kunt morgenmiddag een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 1, 17, 20),  # Sunday evening -> Monday 13:00
            "A coach usually answers within 4 working hours; it is Sunday, "
            "so expect an answer by tomorrow afternoon.",
            "Een coach reageert meestal binnen 4 werkuren. Het is zondag, "
            "dus je kunt morgenmiddag een antwoord verwachten.",
        ),
    ],
)
def test_an_answer_tomorrow_says_morning_or_afternoon(now: datetime, english: str, dutch: str) -> None:
    assert expect(now, "en") == english
    assert expect(now, "nl") == dutch


@pytest.mark.parametrize(
    ("now", "english", "dutch"),
    [
        (
            amsterdam(2027, 1, 16, 11),  # Saturday -> Monday 13:00
            "A coach usually answers within 4 working hours; it is Saturday, "
            "so expect an answer by Monday afternoon.",
            "Een coach reageert meestal binnen 4 werkuren. Het is zaterdag, "
            "dus je kunt maandagmiddag een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 3, 27, 11),  # Saturday before spring forward -> Monday 13:00 CEST
            "A coach usually answers within 4 working hours; it is Saturday, "
            "so expect an answer by Monday afternoon.",
            "Een coach reageert meestal binnen 4 werkuren. Het is zaterdag, "
            "dus je kunt maandagmiddag een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 1, 15, 15),  # Friday afternoon -> Monday 11:00
            "A coach usually answers within 4 working hours; the weekend comes in between, "
            "so expect an answer by Monday morning.",
            "Een coach reageert meestal binnen 4 werkuren. Het weekend zit ertussen, "
            "dus je kunt maandagochtend een antwoord verwachten.",
        ),
        (
            amsterdam(2027, 1, 15, 19),  # Friday evening -> Monday 13:00: the weekend explains more
            "A coach usually answers within 4 working hours; the weekend comes in between, "
            "so expect an answer by Monday afternoon.",
            "Een coach reageert meestal binnen 4 werkuren. Het weekend zit ertussen, "
            "dus je kunt maandagmiddag een antwoord verwachten.",
        ),
    ],
)
def test_a_weekend_names_the_day(now: datetime, english: str, dutch: str) -> None:
    assert expect(now, "en") == english
    assert expect(now, "nl") == dutch


def test_a_holiday_in_between_or_today_is_named() -> None:
    monday = amsterdam(2027, 4, 26, 15)  # -> Wednesday 11:00
    assert expect(monday, "en", working=KINGS_DAY) == (
        "A coach usually answers within 4 working hours; a day off comes in between, "
        "so expect an answer by Wednesday morning."
    )
    assert expect(monday, "nl", working=KINGS_DAY) == (
        "Een coach reageert meestal binnen 4 werkuren. Er zit een vrije dag tussen, "
        "dus je kunt woensdagochtend een antwoord verwachten."
    )
    holiday = amsterdam(2027, 4, 27, 10)  # -> Wednesday 13:00
    assert expect(holiday, "en", working=KINGS_DAY) == (
        "A coach usually answers within 4 working hours; today is a day off, "
        "so expect an answer by tomorrow afternoon."
    )
    assert expect(holiday, "nl", working=KINGS_DAY) == (
        "Een coach reageert meestal binnen 4 werkuren. Vandaag is een vrije dag, "
        "dus je kunt morgenmiddag een antwoord verwachten."
    )


def test_an_answer_a_week_or_more_away_names_the_date() -> None:
    thursday = amsterdam(2027, 12, 23, 15)  # Christmas break -> Monday 3 January 2028, 11:00
    assert expect(thursday, "en", working=CHRISTMAS) == (
        "A coach usually answers within 4 working hours; days off come in between, "
        "so expect an answer by the morning of Monday 3 January."
    )
    assert expect(thursday, "nl", working=CHRISTMAS) == (
        "Een coach reageert meestal binnen 4 werkuren. Er zitten vrije dagen tussen, "
        "dus je kunt maandag 3 januari 's ochtends een antwoord verwachten."
    )


@pytest.mark.parametrize(
    ("hours", "english", "dutch"),
    [
        (1, "1 working hour", "1 werkuur"),
        (1.5, "1.5 working hours", "1,5 werkuren"),
        (8, "8 working", "8 werk"),
    ],
)
def test_the_hours_are_written_in_the_language(hours: float, english: str, dutch: str) -> None:
    wednesday = amsterdam(2027, 1, 13, 10)
    assert f"within {english}" in expect(wednesday, "en", hours=hours)
    assert f"binnen {dutch}" in expect(wednesday, "nl", hours=hours)


def test_a_deadline_that_has_passed_is_refused() -> None:
    now = amsterdam(2027, 1, 13, 10)
    with pytest.raises(ValueError, match="passed"):
        expectation_text(
            now=now, deadline=now - timedelta(minutes=1), hours=4, timezone=AMSTERDAM, language="en"
        )


@settings(deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
    ),
    hours=st.integers(min_value=1, max_value=80),
    language=st.sampled_from(["nl", "en"]),
)
def test_every_moment_gets_one_filled_sentence(now: datetime, hours: int, language: str) -> None:
    text = expect(now, language, hours=hours)
    assert str(hours) in text
    assert "{" not in text
    assert text.endswith(".")
