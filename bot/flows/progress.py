"""/progress and /journal: what is done, what is to come, the streak, the learner's reflections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.flows.turn import Learner, Turn
from bot.storage.repository import progress_of, responses_of


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


async def show_progress(turn: Turn, learner: Learner) -> None:
    rows = await progress_of(turn.session, learner.enrolment_id)
    done = sum(1 for row in rows if row.done_at is not None)
    open_items = sum(1 for row in rows if row.delivered_at is not None and row.done_at is None)
    in_path = _path_size(learner)
    responses = await responses_of(turn.session, learner.enrolment_id)
    zone = ZoneInfo(learner.timezone)
    streak = active_week_streak(
        (_local_date(response.created_at, zone) for response in responses),
        today=_local_date(turn.now, zone),
    )
    turn.say(
        "progress.summary",
        done=done,
        open=open_items,
        total=in_path,
        streak=streak,
        remaining=max(in_path - done, 0),
    )
    if done and done >= in_path:
        turn.say("progress.complete")


async def show_journal(turn: Turn, learner: Learner) -> None:
    reflections = await responses_of(turn.session, learner.enrolment_id, kind="reflection")
    if not reflections:
        turn.say("journal.empty")
        return
    zone = ZoneInfo(learner.timezone)
    titles = {item.id: item.title for item in learner.program.interventions}
    entries = [
        f"**{_local_date(entry.created_at, zone).isoformat()} · {titles.get(entry.intervention_id, '')}**\n"
        f"{entry.text}"
        for entry in reflections
    ]
    turn.send_text("\n\n".join([turn.text("journal.title"), *entries]))


def _path_size(learner: Learner) -> int:
    """Items in the learner's own path: required ones plus the optional ones they chose
    (a recurring item counts once)."""
    chosen = set(learner.enrolment.chosen)
    return sum(1 for item in learner.program.interventions if item.required or item.id in chosen)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
