"""/progress and /journal: what is done, what is to come, the streak, the learner's reflections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.flows.turn import Learner, Turn
from bot.storage.models import Progress
from bot.storage.repository import Session, progress_of, responses_of


def active_week_streak(activity: Iterable[date], *, today: date) -> int:
    """Consecutive ISO weeks with activity, ending this week (or last week, if this week is
    still empty: a streak is not broken before the week is over)."""
    weeks = {_week_start(day) for day in activity}
    current = _week_start(today)
    if current not in weeks:
        current -= timedelta(weeks=1)
    streak = 0
    while current in weeks:
        streak += 1
        current -= timedelta(weeks=1)
    return streak


@dataclass(frozen=True, slots=True)
class ProgressSummary:
    """Where a learner stands: items done and delivered-but-open, the size of their path, the
    streak of active weeks, and the ids of what they did, most recent first."""

    done: int
    open: int
    total: int
    streak: int
    recently_done: tuple[str, ...] = ()

    @property
    def remaining(self) -> int:
        return max(self.total - self.done, 0)

    @property
    def complete(self) -> bool:
        return bool(self.done) and self.done >= self.total


async def summarize(session: Session, learner: Learner, *, now: datetime) -> ProgressSummary:
    """The learner's progress at `now` (what /progress and the home view show)."""
    rows = await progress_of(session, learner.enrolment_id)
    finished = sorted((row for row in rows if row.done_at is not None), key=_done_at, reverse=True)
    responses = await responses_of(session, learner.enrolment_id)
    zone = ZoneInfo(learner.timezone)
    streak = active_week_streak(
        (_local_date(response.created_at, zone) for response in responses),
        today=_local_date(now, zone),
    )
    return ProgressSummary(
        done=len(finished),
        open=sum(1 for row in rows if row.delivered_at is not None and row.done_at is None),
        total=_path_size(learner),
        streak=streak,
        recently_done=tuple(dict.fromkeys(row.intervention_id for row in finished)),
    )


async def show_progress(turn: Turn, learner: Learner) -> None:
    summary = await summarize(turn.session, learner, now=turn.now)
    turn.say(
        "progress.summary",
        done=summary.done,
        open=summary.open,
        total=summary.total,
        streak=summary.streak,
        remaining=summary.remaining,
    )
    if summary.complete:
        turn.say("progress.complete")


async def show_journal(turn: Turn, learner: Learner, *, also: Sequence[str] = ()) -> None:
    """The learner's reflections, then `also` (peer feedback they received and gave)."""
    reflections = await responses_of(turn.session, learner.enrolment_id, kind="reflection")
    if not reflections and not also:
        turn.say("journal.empty")
        return
    zone = ZoneInfo(learner.timezone)
    titles = {item.id: item.title for item in learner.program.interventions}
    entries = [
        f"**{_local_date(entry.created_at, zone).isoformat()} · {titles.get(entry.intervention_id, '')}**\n"
        f"{entry.text}"
        for entry in reflections
    ]
    turn.send_text("\n\n".join([turn.text("journal.title"), *entries, *also]))


def _path_size(learner: Learner) -> int:
    """Items in the learner's own path: required ones plus the optional ones they chose
    (a recurring item counts once)."""
    chosen = set(learner.enrolment.chosen)
    return sum(1 for item in learner.program.interventions if item.required or item.id in chosen)


def _done_at(row: Progress) -> datetime:
    assert row.done_at is not None
    return row.done_at


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
