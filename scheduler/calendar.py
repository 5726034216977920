"""Calendar rules: local wall time <-> UTC across daylight-saving changes, and the send window.

Planned deliveries are stored in UTC, but trainers and learners think in local wall time
("2 days before s2", "at 10:00", "between 08:30 and 17:30 on workdays"). These helpers are
the only place that crosses between the two, so every DST decision is made once:

- a local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday
  of March in Europe/Amsterdam) moves forward past the gap, to the first instant after it
  (03:00 local);
- a local time that exists twice (the autumn fall-back) means the first of the two (fold=0).

Pure functions: no clock reads, `moment` arguments are timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from content.model import SendWindow

_WEEK = range(7)


def to_utc(local: datetime, timezone: str) -> datetime:
    """The UTC instant of a naive wall-clock time in `timezone` (DST gaps and folds as above)."""
    if local.tzinfo is not None:
        raise ValueError("to_utc expects a naive local datetime")
    zone = ZoneInfo(timezone)
    wall = local.replace(fold=0)
    moment = wall.replace(tzinfo=zone).astimezone(UTC)
    if _wall_time(moment, zone) == wall:
        return moment
    return _end_of_gap(wall, zone)


def to_local(moment: datetime, timezone: str) -> datetime:
    """The naive wall-clock time in `timezone` of an aware instant."""
    return _wall_time(moment, ZoneInfo(timezone))


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date in `timezone` of an aware instant."""
    return to_local(moment, timezone).date()


def next_allowed_slot(
    moment: datetime, *, timezone: str, window: SendWindow, workdays: frozenset[int]
) -> datetime:
    """The first instant at or after `moment` inside the send window on a workday (UTC).

    `window` and `workdays` are read in `timezone` (the learner's): a moment inside
    [window.start, window.end) on a workday is kept as it is; earlier on a workday moves to
    that day's window start; anything else moves to the next workday's window start.
    """
    _check_rules(window, workdays)
    local = to_local(moment, timezone)
    if local.weekday() in workdays and window.start <= local.time() < window.end:
        return moment.astimezone(UTC)
    day = local.date()
    if local.weekday() not in workdays or local.time() >= window.start:
        day = next_workday(day + timedelta(days=1), workdays)
    return to_utc(datetime.combine(day, window.start), timezone)


def next_day_start(day: date, *, timezone: str, window: SendWindow, workdays: frozenset[int]) -> datetime:
    """The window start of the first workday after `day` (UTC): where a full day's overflow goes."""
    _check_rules(window, workdays)
    following = next_workday(day + timedelta(days=1), workdays)
    return to_utc(datetime.combine(following, window.start), timezone)


def next_workday(day: date, workdays: frozenset[int]) -> date:
    """`day` itself when it is a workday, else the first workday after it."""
    for offset in _WEEK:
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in workdays:
            return candidate
    raise ValueError("workdays names no day of the week (use 0 = Monday ... 6 = Sunday)")


def _check_rules(window: SendWindow, workdays: frozenset[int]) -> None:
    # Both would make "the next allowed slot" loop forever; the content validator should have
    # caught them, but a planner must not hang on a bad program.
    if window.start >= window.end:
        raise ValueError(f"send window {window.start}-{window.end} is empty")
    if not workdays & set(_WEEK):
        raise ValueError("workdays names no day of the week (use 0 = Monday ... 6 = Sunday)")


def _wall_time(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("expected a timezone-aware datetime")
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant whose wall time is later than `wall`, a time skipped by a DST change.

    Read with the offset after the change (fold=1) `wall` lies before the change, with the
    offset before it (fold=0) after; the change itself lies between, found by bisection.
    """
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = 0, int((after - before).total_seconds())
    while low < high:
        middle = (low + high) // 2
        if _wall_time(before + timedelta(seconds=middle), zone) > wall:
            high = middle
        else:
            low = middle + 1
    return before + timedelta(seconds=low)
