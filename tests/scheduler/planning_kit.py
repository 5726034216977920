"""Small Program and PlanInput values for the scheduler tests (Amsterdam cohort, 2027 dates)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from content.model import Intervention, Program, Session
from content.when import When, parse_when, resolve_references
from scheduler.planner import ItemHistory, PlanInput

AMSTERDAM = "Europe/Amsterdam"
LONDON = "Europe/London"

# Cohort-local (Amsterdam) session times: Tuesdays at 09:00 (CET, so 08:00 UTC).
SESSIONS: dict[str, datetime] = {
    "s1": datetime(2027, 1, 12, 9, 0),
    "s2": datetime(2027, 2, 2, 9, 0),
    "s3": datetime(2027, 2, 23, 9, 0),
}
SESSION_IDS = frozenset({"s1", "s2", "s3", "s4", "s5"})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def item(
    item_id: str, when: str | None, *, required: bool = True, follow_up: str | None = None
) -> Intervention:
    """An intervention; `when` in the trainer's words, resolved as the loader would."""
    parsed: When | None = None if when is None else resolve_references(parse_when(when), SESSION_IDS)
    return Intervention(
        id=item_id,
        title=item_id,
        type="tip",
        when=parsed,
        body="",
        source=Path("x.md"),
        required=required,
        follow_up=follow_up,
    )


def program(*items: Intervention, **settings: Any) -> Program:
    return Program(
        id="p",
        title="P",
        language="en",
        sessions=tuple(Session(id=sid, title=sid) for sid in sorted(SESSION_IDS)),
        welcome="",
        interventions=items,
        source=Path("p"),
        **settings,
    )


def plan_input(
    prog: Program,
    *,
    now: datetime,
    active_since: datetime | None = None,
    sessions: Mapping[str, datetime] = SESSIONS,
    learner_timezone: str = AMSTERDAM,
    chosen: frozenset[str] = frozenset(),
    paused: bool = False,
    history: Mapping[tuple[str, str], ItemHistory] | None = None,
    catch_up_offered: frozenset[str] = frozenset(),
) -> PlanInput:
    return PlanInput(
        program=prog,
        sessions=sessions,
        cohort_timezone=AMSTERDAM,
        learner_timezone=learner_timezone,
        chosen=chosen,
        active_since=active_since,
        paused=paused,
        history={} if history is None else history,
        catch_up_offered=catch_up_offered,
        now=now,
    )


def delivered(moment: datetime) -> ItemHistory:
    return ItemHistory(delivered_at=moment)


def with_history(data: PlanInput, extra: Mapping[tuple[str, str], ItemHistory]) -> PlanInput:
    return replace(data, history={**data.history, **extra})
