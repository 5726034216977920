"""Clocks. Everything that needs "now" asks a Clock, so tests and the console control time.

All clocks return timezone-aware UTC datetimes.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Real time, for production."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """Time stands still until the test moves it: the clock for tests."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _as_utc(moment)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class SimulatedClock:
    """Starts at a chosen moment and then runs with real time; `advance` jumps ahead.

    The console uses it: a demo can begin weeks before a cohort's first session, and
    `/wait 2d` skips forward, while the scheduler still sees time pass between jumps.
    """

    def __init__(self, start: datetime, *, monotonic: _Monotonic | None = None) -> None:
        self._monotonic = monotonic or _time.monotonic
        self._origin = _as_utc(start)
        self._started = self._monotonic()

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self._monotonic() - self._started)

    def set(self, moment: datetime) -> None:
        self._origin = _as_utc(moment)
        self._started = self._monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)


class _Monotonic(Protocol):
    def __call__(self) -> float: ...


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return moment.astimezone(UTC)
