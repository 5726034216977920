"""Working time: "within 4 working hours" as a moment, and the working time between two moments.

A coach case must be claimed within the cohort's `coach_response_hours`, counted only while the
coaches work: between `start` and `end` wall-clock time in the cohort's timezone, on workdays
that are not holidays. Each working day is read as wall time on its own date, so 09:00-17:00
stays 09:00-17:00 on both sides of a DST change (scheduler/calendar.py makes the DST decisions).
A DST change inside the working hours (not in Europe, where clocks move at night) makes that
day's working time as long as the clock really ran.

Pure functions: no clock reads; moments are timezone-aware, results are in UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from scheduler.calendar import to_local, to_utc

_MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """When coaches work, read in the cohort's timezone. Workdays: 0 = Monday ... 6 = Sunday."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: frozenset[int] = _MONDAY_TO_FRIDAY
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Either would leave no working time at all, and "the next opening" would never come.
        if self.start >= self.end:
            raise ValueError(f"working hours {self.start}-{self.end} are empty")
        if not self.workdays or not self.workdays <= set(range(7)):
            raise ValueError("workdays must name days of the week (0 = Monday ... 6 = Sunday)")

    def is_working_day(self, day: date) -> bool:
        """Whether coaches work on `day` at all (a workday that is not a holiday)."""
        return day.weekday() in self.workdays and day not in self.holidays


OFFICE_HOURS = WorkingHours()  # 09:00-17:00, Monday to Friday, no holidays


def add_working_hours(
    start: datetime, hours: float, *, timezone: str, working: WorkingHours = OFFICE_HOURS
) -> datetime:
    """The moment (UTC) at which `hours` of working time have passed after `start`.

    Time outside working hours does not count: a `start` outside them counts from the next
    opening (so 0 hours from a Saturday is Monday's opening). When the hours run out exactly at
    a closing time, that closing time is the answer, not the next opening.
    """
    _check_moment(start)
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, not {hours}")
    remaining = timedelta(hours=hours)
    for opening, closing in _working_spans(start, timezone=timezone, working=working):
        moment = max(start, opening)
        if remaining <= closing - moment:
            return (moment + remaining).astimezone(UTC)
        remaining -= closing - moment
    raise AssertionError("unreachable: working spans never run out")


def working_hours_between(
    start: datetime, end: datetime, *, timezone: str, working: WorkingHours = OFFICE_HOURS
) -> float:
    """The hours of working time from `start` to `end`; 0.0 when `end` is not after `start`."""
    _check_moment(start)
    _check_moment(end)
    if end <= start:
        return 0.0
    total = timedelta()
    for opening, closing in _working_spans(start, timezone=timezone, working=working):
        if opening >= end:
            break
        total += min(closing, end) - max(opening, start)
    return total / timedelta(hours=1)


def is_working_time(moment: datetime, *, timezone: str, working: WorkingHours = OFFICE_HOURS) -> bool:
    """Whether `moment` lies inside working hours: from an opening up to, not including, the closing."""
    _check_moment(moment)
    opening, _ = next(_working_spans(moment, timezone=timezone, working=working))
    return opening <= moment


def _working_spans(
    moment: datetime, *, timezone: str, working: WorkingHours
) -> Iterator[tuple[datetime, datetime]]:
    """(opening, closing) in UTC of each working day whose closing is after `moment`, in order."""
    day = to_local(moment, timezone).date()
    while True:
        if working.is_working_day(day):
            opening = to_utc(datetime.combine(day, working.start), timezone)
            closing = to_utc(datetime.combine(day, working.end), timezone)
            # A day whose hours fall wholly in a DST gap has none; skipping it keeps the spans open.
            if moment < closing and opening < closing:
                yield opening, closing
        day += timedelta(days=1)


def _check_moment(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
