"""Local wall time <-> UTC across DST, and the send window (scheduler/calendar.py)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from content.model import SendWindow
from scheduler.calendar import local_date, next_allowed_slot, next_day_start, next_workday, to_local, to_utc
from tests.scheduler.planning_kit import AMSTERDAM, LONDON, utc

WINDOW = SendWindow()  # 08:30-17:30
WEEKDAYS = frozenset({0, 1, 2, 3, 4})


def slot(moment: datetime, *, timezone: str = AMSTERDAM, window: SendWindow = WINDOW) -> datetime:
    return next_allowed_slot(moment, timezone=timezone, window=window, workdays=WEEKDAYS)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2027, 1, 12, 9, 0), utc(2027, 1, 12, 8, 0)),  # CET, UTC+1
        (datetime(2027, 7, 13, 9, 0), utc(2027, 7, 13, 7, 0)),  # CEST, UTC+2
        (datetime(2027, 3, 28, 1, 59), utc(2027, 3, 28, 0, 59)),  # just before the gap
        (datetime(2027, 3, 28, 2, 0), utc(2027, 3, 28, 1, 0)),  # gap: moves to 03:00 CEST
        (datetime(2027, 3, 28, 2, 30), utc(2027, 3, 28, 1, 0)),  # gap: moves to 03:00 CEST
        (datetime(2027, 3, 28, 3, 0), utc(2027, 3, 28, 1, 0)),  # first time after the gap
        (datetime(2027, 10, 31, 2, 30), utc(2027, 10, 31, 0, 30)),  # twice: the first (CEST)
        (datetime(2027, 10, 31, 3, 0), utc(2027, 10, 31, 2, 0)),  # after the fold: CET
    ],
)
def test_to_utc_reads_amsterdam_wall_time_across_dst(local: datetime, expected: datetime) -> None:
    assert to_utc(local, AMSTERDAM) == expected


def test_to_utc_gap_in_london_moves_past_the_gap() -> None:
    # London springs forward at 01:00 GMT on the same Sunday: 01:30 does not exist.
    assert to_utc(datetime(2027, 3, 28, 1, 30), LONDON) == utc(2027, 3, 28, 1, 0)
    assert to_local(utc(2027, 3, 28, 1, 0), LONDON) == datetime(2027, 3, 28, 2, 0)


def test_to_utc_ignores_a_fold_flag_on_the_input() -> None:
    second = datetime(2027, 10, 31, 2, 30, fold=1)
    assert to_utc(second, AMSTERDAM) == utc(2027, 10, 31, 0, 30)


def test_to_utc_rejects_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_utc(utc(2027, 1, 12, 9), AMSTERDAM)


def test_to_local_and_local_date_use_the_timezone() -> None:
    moment = utc(2027, 1, 12, 23, 30)
    assert to_local(moment, AMSTERDAM) == datetime(2027, 1, 13, 0, 30)
    assert to_local(moment, LONDON) == datetime(2027, 1, 12, 23, 30)
    assert local_date(moment, AMSTERDAM) == date(2027, 1, 13)
    assert local_date(moment, LONDON) == date(2027, 1, 12)


def test_to_local_rejects_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        to_local(datetime(2027, 1, 12, 9), AMSTERDAM)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2027, 1, 12, 10, 15), utc(2027, 1, 12, 10, 15)),  # Tue 11:15: inside, kept
        (utc(2027, 1, 12, 7, 30), utc(2027, 1, 12, 7, 30)),  # Tue 08:30: the window start is in
        (utc(2027, 1, 12, 6, 0), utc(2027, 1, 12, 7, 30)),  # Tue 07:00: that day's start
        (utc(2027, 1, 12, 16, 29), utc(2027, 1, 12, 16, 29)),  # Tue 17:29: still inside
        (utc(2027, 1, 12, 16, 30), utc(2027, 1, 13, 7, 30)),  # Tue 17:30: the end is out
        (utc(2027, 1, 15, 18, 0), utc(2027, 1, 18, 7, 30)),  # Fri 19:00 -> Mon 08:30
        (utc(2027, 1, 16, 10, 0), utc(2027, 1, 18, 7, 30)),  # Sat -> Mon 08:30
        (utc(2027, 1, 17, 23, 0), utc(2027, 1, 18, 7, 30)),  # Mon 00:00 -> Mon 08:30
        (utc(2027, 3, 28, 1, 30), utc(2027, 3, 29, 6, 30)),  # DST Sunday -> Mon 08:30 CEST
        (utc(2027, 10, 30, 12, 0), utc(2027, 11, 1, 7, 30)),  # Sat before fall-back -> Mon CET
    ],
)
def test_next_allowed_slot_in_amsterdam(moment: datetime, expected: datetime) -> None:
    assert slot(moment) == expected


def test_next_allowed_slot_reads_the_window_in_the_learners_timezone() -> None:
    # 08:00 UTC on Tue 12 Jan is 09:00 in Amsterdam (inside) but 08:00 in London (too early).
    assert slot(utc(2027, 1, 12, 8, 0), timezone=AMSTERDAM) == utc(2027, 1, 12, 8, 0)
    assert slot(utc(2027, 1, 12, 8, 0), timezone=LONDON) == utc(2027, 1, 12, 8, 30)
    # In summer London is UTC+1: 08:30 BST is 07:30 UTC.
    assert slot(utc(2027, 7, 13, 5, 0), timezone=LONDON) == utc(2027, 7, 13, 7, 30)


def test_next_allowed_slot_with_a_window_start_inside_the_dst_gap() -> None:
    night = SendWindow(start=time(2, 30), end=time(5, 0))
    every_day = frozenset(range(7))
    moment = utc(2027, 3, 27, 23, 0)  # Sun 28 Mar 00:00 CET
    found = next_allowed_slot(moment, timezone=AMSTERDAM, window=night, workdays=every_day)
    assert found == utc(2027, 3, 28, 1, 0)  # 03:00 CEST: the first time after the gap


def test_next_allowed_slot_honours_other_workdays() -> None:
    weekend_only = frozenset({5, 6})
    found = next_allowed_slot(utc(2027, 1, 12, 10), timezone=AMSTERDAM, window=WINDOW, workdays=weekend_only)
    assert found == utc(2027, 1, 16, 7, 30)  # Sat 08:30


@pytest.mark.parametrize(
    ("window", "workdays", "message"),
    [
        (SendWindow(start=time(17, 0), end=time(9, 0)), WEEKDAYS, "empty"),
        (WINDOW, frozenset[int](), "no day"),
        (WINDOW, frozenset({7, 9}), "no day"),
    ],
)
def test_impossible_rules_raise_instead_of_looping(
    window: SendWindow, workdays: frozenset[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        next_allowed_slot(utc(2027, 1, 12, 10), timezone=AMSTERDAM, window=window, workdays=workdays)


def test_next_day_start_skips_the_weekend() -> None:
    found = next_day_start(date(2027, 1, 15), timezone=AMSTERDAM, window=WINDOW, workdays=WEEKDAYS)
    assert found == utc(2027, 1, 18, 7, 30)
    assert next_workday(date(2027, 1, 12), WEEKDAYS) == date(2027, 1, 12)
    assert next_workday(date(2027, 1, 16), WEEKDAYS) == date(2027, 1, 18)
