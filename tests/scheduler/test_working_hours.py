"""Working time as coaches count it (scheduler/working_hours.py): concrete dates and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scheduler.calendar import to_local, to_utc
from scheduler.working_hours import (
    OFFICE_HOURS,
    WorkingHours,
    add_working_hours,
    is_working_time,
    working_hours_between,
)
from tests.scheduler.planning_kit import AMSTERDAM, LONDON

ZONES = (AMSTERDAM, LONDON, "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
TOLERANCE = timedelta(microseconds=2)  # float hours are rounded to microseconds once per call


def amsterdam(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An Amsterdam wall-clock time as the aware UTC instant the functions take and return."""
    return to_utc(datetime(year, month, day, hour, minute), AMSTERDAM)


def add(start: datetime, hours: float, *, working: WorkingHours = OFFICE_HOURS) -> datetime:
    return add_working_hours(start, hours, timezone=AMSTERDAM, working=working)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (amsterdam(2027, 1, 13, 10), 4, amsterdam(2027, 1, 13, 14)),  # Wed 10:00 -> 14:00
        (amsterdam(2027, 1, 15, 16), 4, amsterdam(2027, 1, 18, 12)),  # Fri 16:00 -> Mon 12:00
        (amsterdam(2027, 1, 16, 0), 4, amsterdam(2027, 1, 18, 13)),  # Sat 00:00 -> Mon 13:00
        (amsterdam(2027, 1, 16, 14, 30), 4, amsterdam(2027, 1, 18, 13)),  # Sat afternoon
        (amsterdam(2027, 1, 17, 23, 59), 4, amsterdam(2027, 1, 18, 13)),  # Sun just before midnight
        (amsterdam(2027, 1, 13, 7), 4, amsterdam(2027, 1, 13, 13)),  # before opening: from 09:00
        (amsterdam(2027, 1, 13, 13), 4, amsterdam(2027, 1, 13, 17)),  # ends at closing: same day
        (amsterdam(2027, 1, 13, 17), 4, amsterdam(2027, 1, 14, 13)),  # closing itself is out
        (amsterdam(2027, 1, 13, 16), 1.5, amsterdam(2027, 1, 14, 9, 30)),  # half an hour overnight
        (amsterdam(2027, 1, 13, 10), 16, amsterdam(2027, 1, 15, 10)),  # two full days
        (amsterdam(2027, 1, 13, 10), 40, amsterdam(2027, 1, 20, 10)),  # a working week
        (amsterdam(2027, 1, 13, 10), 0, amsterdam(2027, 1, 13, 10)),  # nothing to add
        (amsterdam(2027, 1, 16, 10), 0, amsterdam(2027, 1, 18, 9)),  # 0 from Saturday: Mon opening
        (amsterdam(2027, 1, 13, 17), 0, amsterdam(2027, 1, 14, 9)),  # 0 from closing: next opening
    ],
)
def test_add_working_hours_on_ordinary_weeks(start: datetime, hours: float, expected: datetime) -> None:
    assert add(start, hours) == expected


@pytest.mark.parametrize(
    ("start", "hours", "expected", "expected_utc"),
    [
        # Spring forward on Sunday 28 March 2027: Friday is CET (UTC+1), Monday CEST (UTC+2).
        (amsterdam(2027, 3, 26, 16), 4, amsterdam(2027, 3, 29, 12), datetime(2027, 3, 29, 10, tzinfo=UTC)),
        (amsterdam(2027, 3, 27, 11), 4, amsterdam(2027, 3, 29, 13), datetime(2027, 3, 29, 11, tzinfo=UTC)),
        (amsterdam(2027, 3, 28, 2, 30), 4, amsterdam(2027, 3, 29, 13), datetime(2027, 3, 29, 11, tzinfo=UTC)),
        # Fall back on Sunday 31 October 2027: Friday is CEST, Monday CET.
        (amsterdam(2027, 10, 29, 15), 4, amsterdam(2027, 11, 1, 11), datetime(2027, 11, 1, 10, tzinfo=UTC)),
        (amsterdam(2027, 10, 30, 9), 4, amsterdam(2027, 11, 1, 13), datetime(2027, 11, 1, 12, tzinfo=UTC)),
        (amsterdam(2027, 10, 29, 10), 12, amsterdam(2027, 11, 1, 14), datetime(2027, 11, 1, 13, tzinfo=UTC)),
    ],
)
def test_add_working_hours_keeps_wall_clock_hours_across_dst(
    start: datetime, hours: float, expected: datetime, expected_utc: datetime
) -> None:
    assert add(start, hours) == expected == expected_utc


def test_a_dst_change_inside_working_hours_counts_the_hours_the_clock_really_ran() -> None:
    # A night shift 00:00-08:00 on Sunday 28 March 2027 lasts 7 real hours (02:00 -> 03:00).
    night = WorkingHours(start=time(0), end=time(8), workdays=frozenset(range(7)))
    sunday = amsterdam(2027, 3, 28, 0)
    assert add(sunday, 7, working=night) == amsterdam(2027, 3, 28, 8)
    assert working_hours_between(sunday, amsterdam(2027, 3, 29, 0), timezone=AMSTERDAM, working=night) == 7


def test_holidays_do_not_count() -> None:
    kings_day = WorkingHours(holidays=frozenset({date(2027, 4, 27)}))  # a Tuesday
    assert add(amsterdam(2027, 4, 26, 15), 4, working=kings_day) == amsterdam(2027, 4, 28, 11)
    assert add(amsterdam(2027, 4, 27, 10), 4, working=kings_day) == amsterdam(2027, 4, 28, 13)


def test_other_workdays_and_hours() -> None:
    early_four_days = WorkingHours(start=time(8), end=time(12, 30), workdays=frozenset({0, 1, 2, 3}))
    thursday_noon = amsterdam(2027, 1, 14, 12)
    assert add(thursday_noon, 1, working=early_four_days) == amsterdam(2027, 1, 18, 8, 30)


def test_london_reads_its_own_wall_clock() -> None:
    friday_4pm_london = datetime(2027, 1, 15, 16, tzinfo=UTC)
    assert add_working_hours(friday_4pm_london, 4, timezone=LONDON) == datetime(2027, 1, 18, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (amsterdam(2027, 1, 13, 10), amsterdam(2027, 1, 13, 14), 4.0),  # within one day
        (amsterdam(2027, 1, 15, 16), amsterdam(2027, 1, 18, 12), 4.0),  # over a weekend
        (amsterdam(2027, 1, 16, 10), amsterdam(2027, 1, 17, 22), 0.0),  # a weekend alone
        (amsterdam(2027, 1, 13, 7), amsterdam(2027, 1, 13, 8), 0.0),  # before opening
        (amsterdam(2027, 1, 13, 16, 30), amsterdam(2027, 1, 13, 20), 0.5),  # past closing
        (amsterdam(2027, 1, 11, 0), amsterdam(2027, 1, 18, 0), 40.0),  # a whole week
        (amsterdam(2027, 3, 26, 16), amsterdam(2027, 3, 29, 12), 4.0),  # spring forward weekend
        (amsterdam(2027, 10, 29, 15), amsterdam(2027, 11, 1, 11), 4.0),  # fall back weekend
        (amsterdam(2027, 1, 13, 14), amsterdam(2027, 1, 13, 10), 0.0),  # end before start
    ],
)
def test_working_hours_between(start: datetime, end: datetime, expected: float) -> None:
    assert working_hours_between(start, end, timezone=AMSTERDAM) == pytest.approx(expected, abs=1e-9)


def test_is_working_time_includes_the_opening_and_excludes_the_closing() -> None:
    assert is_working_time(amsterdam(2027, 1, 13, 9), timezone=AMSTERDAM)
    assert is_working_time(amsterdam(2027, 1, 13, 16, 59), timezone=AMSTERDAM)
    assert not is_working_time(amsterdam(2027, 1, 13, 17), timezone=AMSTERDAM)
    assert not is_working_time(amsterdam(2027, 1, 16, 12), timezone=AMSTERDAM)  # Saturday


def test_naive_moments_are_refused() -> None:
    naive = datetime(2027, 1, 13, 10)
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(naive, 4, timezone=AMSTERDAM)
    with pytest.raises(ValueError, match="aware"):
        working_hours_between(naive, amsterdam(2027, 1, 14), timezone=AMSTERDAM)
    with pytest.raises(ValueError, match="aware"):
        working_hours_between(amsterdam(2027, 1, 12), naive, timezone=AMSTERDAM)


@pytest.mark.parametrize("hours", [-0.5, float("nan"), float("inf")])
def test_hours_must_be_a_finite_number_not_below_zero(hours: float) -> None:
    with pytest.raises(ValueError, match="hours"):
        add(amsterdam(2027, 1, 13, 10), hours)


@pytest.mark.parametrize(
    ("start", "end", "workdays"),
    [
        (time(17), time(9), frozenset({0})),
        (time(9), time(9), frozenset({0})),
        (time(9), time(17), frozenset[int]()),
        (time(9), time(17), frozenset({7})),
    ],
)
def test_working_hours_without_any_working_time_are_refused(
    start: time, end: time, workdays: frozenset[int]
) -> None:
    with pytest.raises(ValueError, match=r"working hours|workdays"):
        WorkingHours(start=start, end=end, workdays=workdays)


# Properties, in several timezones (with and without DST, a half-hour DST in Lord Howe).

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)
hours = st.integers(min_value=0, max_value=120 * 60).map(lambda minutes: minutes / 60)
zones = st.sampled_from(ZONES)
workings = st.sampled_from(
    (
        OFFICE_HOURS,
        WorkingHours(start=time(8, 30), end=time(12), workdays=frozenset({0, 2, 4})),
        WorkingHours(start=time(0), end=time(23, 59), workdays=frozenset(range(7))),
        WorkingHours(holidays=frozenset({date(2027, 12, 24), date(2027, 12, 27), date(2028, 1, 3)})),
    )
)


def close(first: datetime, second: datetime) -> bool:
    return abs(first - second) <= TOLERANCE


@settings(deadline=None)
@given(start=moments, amount=hours, zone=zones, working=workings)
def test_the_result_is_working_time_or_a_closing_and_never_before_the_start(
    start: datetime, amount: float, zone: str, working: WorkingHours
) -> None:
    result = add_working_hours(start, amount, timezone=zone, working=working)
    local = to_local(result, zone)
    assert result >= start
    assert result.tzinfo is UTC
    assert is_working_time(result, timezone=zone, working=working) or (
        local.time() == working.end and working.is_working_day(local.date())
    )


@settings(deadline=None)
@given(start=moments, first=hours, second=hours, zone=zones, working=workings)
def test_more_hours_never_give_an_earlier_moment(
    start: datetime, first: float, second: float, zone: str, working: WorkingHours
) -> None:
    fewer, more = sorted((first, second))
    assert add_working_hours(start, fewer, timezone=zone, working=working) <= add_working_hours(
        start, more, timezone=zone, working=working
    )


@settings(deadline=None)
@given(start=moments, first=hours, second=hours, zone=zones, working=workings)
def test_adding_in_two_steps_is_adding_at_once_when_the_first_step_ends_in_working_time(
    start: datetime, first: float, second: float, zone: str, working: WorkingHours
) -> None:
    halfway = add_working_hours(start, first, timezone=zone, working=working)
    assume(is_working_time(halfway, timezone=zone, working=working))
    in_two_steps = add_working_hours(halfway, second, timezone=zone, working=working)
    assert close(in_two_steps, add_working_hours(start, first + second, timezone=zone, working=working))


@settings(deadline=None)
@given(start=moments, amount=hours, zone=zones, working=workings)
def test_working_hours_between_undoes_adding_them(
    start: datetime, amount: float, zone: str, working: WorkingHours
) -> None:
    # Holds for any start, inside working time or not: the wait for the opening is not counted.
    deadline = add_working_hours(start, amount, timezone=zone, working=working)
    assert working_hours_between(start, deadline, timezone=zone, working=working) == pytest.approx(
        amount, abs=1e-6
    )


@settings(deadline=None)
@given(points=st.lists(moments, min_size=3, max_size=3), zone=zones, working=workings)
def test_working_hours_between_adds_up_and_never_exceeds_the_elapsed_time(
    points: list[datetime], zone: str, working: WorkingHours
) -> None:
    first, middle, last = sorted(points)

    def between(start: datetime, end: datetime) -> float:
        return working_hours_between(start, end, timezone=zone, working=working)

    assert between(first, last) == pytest.approx(between(first, middle) + between(middle, last), abs=1e-6)
    assert 0 <= between(first, last) <= (last - first) / timedelta(hours=1) + 1e-9
