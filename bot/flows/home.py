"""A person's home view: their progress, what comes next and the choice menu, in their language.

`home_for` reads what the view needs (`HomeFacts`) from the database; `learner_home` turns those
facts into a `HomeView` without I/O, so the view's rules are tested without a database. The menu
buttons carry the same values as /menu's, so a press on the home goes through the same flow.
Someone the bot does not know gets a short bilingual "how to join" view, and nothing about them
is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.home import HomeSection, HomeView
from bot.domain.messages import Identity
from bot.flows.learners import load_current_learner
from bot.flows.menu import optional_modules
from bot.flows.progress import ProgressSummary, summarize
from bot.flows.scoring import Comparison, compare, competency_scores
from bot.flows.turn import Learner
from bot.i18n import CATALOGUES, translate
from bot.storage import outbox
from bot.storage.models import Person
from bot.storage.repository import Session, assessment_answers, identity_of
from content.model import Intervention, Program

NEXT_ITEMS = 3  # how many coming deliveries the home lists
RECENT_ITEMS = 3  # how many done items it names
BOT_NAME = "Coachbot"


@dataclass(frozen=True, slots=True)
class Upcoming:
    """One coming delivery: what (an intervention id) and when (UTC)."""

    intervention_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class HomeFacts:
    """Everything a learner's home shows, read at one moment."""

    learner: Learner
    progress: ProgressSummary
    upcoming: tuple[Upcoming, ...] = ()
    kickoff_scores: Mapping[str, float] | None = None  # None: the kick-off test is not done
    closing_scores: Mapping[str, float] | None = None  # None: the closing test is not done


async def home_for(
    session: Session, identity: Identity, programs: Mapping[str, Program], *, now: datetime
) -> HomeView:
    """The home of whoever `identity` is: a learner's own, or the view for someone not enrolled."""
    known = await identity_of(session, platform=identity.platform, external_id=identity.external_id)
    person = await session.get(Person, known.person_id) if known is not None else None
    if person is None or person.id is None:
        return stranger_home()
    learner = await load_current_learner(session, person.id, programs)
    if learner is None:
        return not_enrolled_home(person.language or "nl")
    return learner_home(await facts_of(session, learner, now=now))


async def facts_of(session: Session, learner: Learner, *, now: datetime) -> HomeFacts:
    summary = await summarize(session, learner, now=now)
    rows = await outbox.upcoming(session, enrolment_id=learner.enrolment_id, limit=NEXT_ITEMS)
    done = set(summary.recently_done)
    program = learner.program
    return HomeFacts(
        learner=learner,
        progress=summary,
        upcoming=tuple(Upcoming(row.intervention_id or "", row.due_at) for row in rows),
        kickoff_scores=await _scores_if_done(session, learner, program.kickoff, done),
        closing_scores=await _scores_if_done(session, learner, program.closing, done),
    )


def learner_home(facts: HomeFacts) -> HomeView:
    """A learner's home: progress (with scores when known), what comes next, the menu."""
    learner = facts.learner
    return HomeView(
        title=learner.program.title,
        sections=(_progress_section(facts), _next_section(facts), _menu_section(learner)),
    )


def stranger_home() -> HomeView:
    """For someone the bot does not know: how to join, in every language (we do not know theirs)."""
    return HomeView(
        title=BOT_NAME,
        sections=tuple(HomeSection((translate(language, "home.stranger"),)) for language in CATALOGUES),
    )


def not_enrolled_home(language: str) -> HomeView:
    """For someone known but in no programme now."""
    return HomeView(title=BOT_NAME, sections=(HomeSection((translate(language, "not_enrolled"),)),))


def when_text(moment: datetime, *, language: str, timezone: str) -> str:
    """`moment` in the learner's timezone, e.g. "Tue 12 Jan, 09:00" or "di 12 jan, 09:00"."""
    local = moment.astimezone(ZoneInfo(timezone))
    weekdays = translate(language, "home.weekdays").split()
    months = translate(language, "home.months").split()
    return translate(
        language,
        "home.when",
        weekday=weekdays[local.weekday()],
        day=local.day,
        month=months[local.month - 1],
        time=local.strftime("%H:%M"),
    )


def _progress_section(facts: HomeFacts) -> HomeSection:
    language, summary = facts.learner.language, facts.progress
    lines = [translate(language, "home.done", done=summary.done, total=summary.total)]
    if summary.open:
        lines.append(translate(language, "home.open", open=summary.open))
    recent = _titles(facts.learner.program, summary.recently_done[:RECENT_ITEMS])
    if recent:
        lines.append(translate(language, "home.recent", titles=", ".join(recent)))
    lines.append(translate(language, "home.streak", streak=summary.streak))
    if summary.complete:
        lines.append(translate(language, "progress.complete"))
    lines += _score_lines(language, facts.kickoff_scores, facts.closing_scores)
    return HomeSection(tuple(lines), heading=translate(language, "home.progress"))


def _score_lines(
    language: str, kickoff: Mapping[str, float] | None, closing: Mapping[str, float] | None
) -> list[str]:
    if closing is not None:
        rows = compare(kickoff or {}, closing)
        return ["", translate(language, "home.scores.compare"), *(_score_row(language, r) for r in rows)]
    if kickoff is not None:
        rows = [Comparison(competency, None, score) for competency, score in kickoff.items()]
        return ["", translate(language, "home.scores.kickoff"), *(_score_row(language, r) for r in rows)]
    return []


def _score_row(language: str, row: Comparison) -> str:
    if row.before is None or row.change is None:
        return translate(language, "closing.row_new", competency=row.competency, after=f"{row.after:.1f}")
    return translate(
        language,
        "closing.row",
        competency=row.competency,
        before=f"{row.before:.1f}",
        after=f"{row.after:.1f}",
        change=f"{row.change:+.1f}",
    )


def _next_section(facts: HomeFacts) -> HomeSection:
    learner = facts.learner
    language = learner.language
    heading = translate(language, "home.next")
    if learner.enrolment.paused_at is not None:
        return HomeSection((translate(language, "home.paused"),), heading=heading)
    lines = [
        translate(
            language,
            "home.next.item",
            when=when_text(item.due_at, language=language, timezone=learner.timezone),
            title=_title(learner.program, item.intervention_id),
        )
        for item in facts.upcoming
    ]
    if learner.enrolment.started_at is None:
        lines.insert(0, translate(language, "home.not_started"))
    return HomeSection(tuple(lines or [translate(language, "home.next.none")]), heading=heading)


def _menu_section(learner: Learner) -> HomeSection:
    language = learner.language
    heading = translate(language, "home.menu")
    lines, buttons = optional_modules(learner, language)
    enrolment = learner.enrolment
    if enrolment.started_at is None or enrolment.paused_at is not None:
        # A press would only start the journey or meet "you are paused": offer no buttons then.
        return HomeSection((*lines, "", translate(language, "home.menu.later")), heading=heading)
    return HomeSection(tuple(lines), heading=heading, choices=buttons)


async def _scores_if_done(
    session: Session, learner: Learner, test: Intervention | None, done: set[str]
) -> dict[str, float] | None:
    """A finished assessment's mean score per competency; None while it is not finished."""
    if test is None or test.id not in done:
        return None
    answers = await assessment_answers(session, enrolment_id=learner.enrolment_id, intervention_id=test.id)
    return competency_scores((answer.competency or "", int(answer.value or 0)) for answer in answers)


def _titles(program: Program, intervention_ids: Sequence[str]) -> list[str]:
    return [_title(program, item) for item in intervention_ids]


def _title(program: Program, intervention_id: str) -> str:
    try:
        return program.intervention(intervention_id).title
    except KeyError:  # an item the program no longer has: show no id to the learner
        return "…"
