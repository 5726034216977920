"""When a learner who asked for a coach may expect an answer, as one honest sentence.

A case must be claimed within the cohort's `coach_response_hours` of working time, so the deadline
(scheduler.working_hours.add_working_hours) can be days away while "4 hours" sounds like this
afternoon. The sentence names the hours, when the answer may come (a time today, or a day and
part of the day) and, when that is later than the hours suggest, why: it is evening, it is
Saturday, the weekend or a day off comes in between.

Pure: no clock reads; moments are timezone-aware and read in the cohort's timezone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.i18n import translate
from scheduler.calendar import to_local
from scheduler.working_hours import OFFICE_HOURS, WorkingHours

AFTERNOON_STARTS = time(12, 0)
_SAME_WEEK = 7  # beyond that a weekday name alone no longer says which day


def expectation_text(
    *,
    now: datetime,
    deadline: datetime,
    hours: float,
    timezone: str,
    language: str,
    working: WorkingHours = OFFICE_HOURS,
) -> str:
    """The sentence telling a learner when a coach will answer, e.g. "... so before 14:00 today".

    `deadline` is `hours` of working time after the case opened; `working` must be the hours the
    deadline was counted in, so the reason given matches it.
    """
    if deadline < now:
        raise ValueError("the deadline has passed: there is no answer to promise any more")
    local_now, local_deadline = to_local(now, timezone), to_local(deadline, timezone)
    duration = _duration(hours, language)
    if local_deadline.date() == local_now.date():
        return translate(
            language, "coach.expect.today", duration=duration, time=local_deadline.strftime("%H:%M")
        )
    when = _when(local_deadline, today=local_now.date(), language=language)
    reason = _reason(local_now, deadline_day=local_deadline.date(), language=language, working=working)
    if reason is None:
        return translate(language, "coach.expect.later", duration=duration, when=when)
    return translate(language, "coach.expect.because", duration=duration, reason=reason, when=when)


def _duration(hours: float, language: str) -> str:
    count = f"{round(hours, 2):g}".replace(".", translate(language, "coach.expect.decimal_mark"))
    key = "coach.expect.hours.one" if hours == 1 else "coach.expect.hours.other"
    return translate(language, key, count=count)


def _when(deadline: datetime, *, today: date, language: str) -> str:
    """'tomorrow morning', 'Monday afternoon', or with the date when it is a week or more away."""
    part = "morning" if deadline.time() < AFTERNOON_STARTS else "afternoon"
    days_ahead = (deadline.date() - today).days
    if days_ahead == 1:
        return translate(language, f"coach.expect.when.tomorrow_{part}")
    weekday = _weekday(deadline.date(), language)
    if days_ahead < _SAME_WEEK:
        return translate(language, f"coach.expect.when.day_{part}", weekday=weekday)
    month = translate(language, "coach.expect.months").split()[deadline.month - 1]
    return translate(
        language, f"coach.expect.when.date_{part}", weekday=weekday, day=deadline.day, month=month
    )


def _reason(now: datetime, *, deadline_day: date, language: str, working: WorkingHours) -> str | None:
    """Why the answer comes later than the hours suggest; None when the hours alone explain it."""
    today = now.date()
    if today.weekday() not in working.workdays:
        return translate(language, "coach.expect.reason.day_off", weekday=_weekday(today, language))
    if today in working.holidays:
        return translate(language, "coach.expect.reason.holiday")
    days_off = [day for day in _days_between(today, deadline_day) if not working.is_working_day(day)]
    if days_off:
        return translate(language, _days_off_key(days_off, working))
    if now.time() >= working.end:
        return translate(language, "coach.expect.reason.evening")
    return None


def _days_off_key(days_off: list[date], working: WorkingHours) -> str:
    if all(day.weekday() not in working.workdays for day in days_off):
        return "coach.expect.reason.weekend_between"
    if len(days_off) == 1:
        return "coach.expect.reason.day_off_between"
    return "coach.expect.reason.days_off_between"


def _days_between(first: date, last: date) -> list[date]:
    """The dates strictly after `first` and strictly before `last`."""
    return [first + timedelta(days=offset) for offset in range(1, (last - first).days)]


def _weekday(day: date, language: str) -> str:
    return translate(language, "coach.expect.weekdays").split()[day.weekday()]
