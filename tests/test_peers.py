"""Peer-feedback rounds (issue 16), in the console core: a cohort of five (one pair, one trio)
introduced, feedback given through every prompt and confirmed, delivered, rated, thanked and
reported; one reminder; a no-show at the close; a crash between pairing and introductions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.cohorts import import_roster
from bot.domain.messages import Outbound
from bot.flows import peers as peer_flows
from bot.flows.learners import load_learner
from bot.i18n import translate
from bot.storage import peers
from bot.storage.models import CoachCase, Enrolment, PeerFeedback, PeerRound, Person
from content.loader import load_programs
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.cli_process import coachbot
from tests.fakes.apps import app_on
from tests.fakes.memory_adapter import MemoryAdapter
from tests.storage.text_search import find_text

PROGRAM = """---
id: samen
title: Samen leren
language: nl
sessions:
  - id: s1
    title: De eerste dag
send_window: "08:00-18:00"
workdays: mon-fri
max_per_day: 3
---
Welkom bij **Samen leren**!
"""

STEP = """---
id: elkaar
title: Feedback van een groepsgenoot
type: peer-feedback
when: 1 day after s1 at 10:00
prompts: ["Wat zag je?", "Wat raad je aan?"]
closes: 4 days
---
Kijk een keer mee bij je partner en geef feedback met situatie, gedrag en impact.
"""

ROSTER = """id: samen-1
program: samen
timezone: Europe/Amsterdam
sessions: {s1: 2027-01-12T09:00}
coaches:
  - {email: coach@acme.example, name: Carla Coach}
managers:
  - {email: mark@acme.example, name: Mark Manager}
participants:
  - {email: anna@acme.example, name: Anna de Vries, manager: mark@acme.example, team: sales}
  - {email: bram@acme.example, name: Bram Bakker, team: sales}
  - {email: sanne@acme.example, name: Sanne Jansen, team: support}
  - {email: youssef@acme.example, name: Youssef El Amrani, team: support}
  - {email: eva@acme.example, name: Eva Smit, team: hr}
"""

PEER_STATES = ["introduced", "given", "received", "rating", "reported"]
LEARNERS = ("anna", "bram", "sanne", "youssef", "eva")
COACH = "coach@acme.example"
MONDAY = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
ROUND_STARTS = datetime(2027, 1, 13, 9, 0, tzinfo=UTC)  # the step's 10:00, a day after s1


def _email(name: str) -> str:
    return name if "@" in name else f"{name}@acme.example"


@pytest.fixture
def samen(tmp_path: Path) -> dict[str, Program]:
    folder = tmp_path / "programs" / "samen"
    folder.mkdir(parents=True)
    (folder / "program.md").write_text(PROGRAM, encoding="utf-8")
    (folder / "01-elkaar.md").write_text(STEP, encoding="utf-8")
    (tmp_path / "samen.yaml").write_text(ROSTER, encoding="utf-8")
    return load_programs(tmp_path / "programs")


class Cohort:
    """Five learners and a coach writing to one App over the console platform."""

    def __init__(self, app: App, adapter: MemoryAdapter, clock: FrozenClock) -> None:
        self.app, self.adapter, self.clock = app, adapter, clock

    async def say(self, who: str, text: str = "", *, choice: str | None = None) -> None:
        await self.adapter.say(_email(who), text, at=self.clock.now(), choice=choice)
        await self.app.dispatcher.run_due()

    def to(self, who: str) -> list[Outbound]:
        return [m for m in self.adapter.sent if m.recipient.external_id == _email(who)]

    def last(self, who: str) -> Outbound:
        return self.to(who)[-1]

    async def press(self, who: str, label: str) -> None:
        for message in reversed(self.to(who)):
            for choice in message.choices:
                if choice.label == label:
                    await self.say(who, choice=choice.value)
                    return
        raise AssertionError(f"no button {label!r} for {who}")

    async def at(self, moment: datetime) -> None:
        self.clock.set(moment)
        await self.app.run_rounds()
        await self.app.dispatcher.drain()
        await self.app.dispatcher.run_due()

    async def feedback(self) -> list[PeerFeedback]:
        async with self.app.database.read() as session:
            return list((await session.exec(select(PeerFeedback).order_by(PeerFeedback.id))).all())

    async def person(self, who: str) -> int:
        async with self.app.database.read() as session:
            found = (await session.exec(select(Person).where(Person.email == _email(who)))).one()
        assert found.id is not None
        return found.id

    async def name_of(self, person_id: int) -> str:
        async with self.app.database.read() as session:
            found = await session.get(Person, person_id)
        assert found is not None
        return found.email.split("@")[0]


@pytest.fixture
async def cohort(tmp_path: Path, samen: dict[str, Program]) -> AsyncIterator[Cohort]:
    clock = FrozenClock(MONDAY)
    adapter = MemoryAdapter()
    async with app_on(tmp_path, samen, clock, adapter) as app:
        running = await _started(app, adapter, clock, tmp_path / "samen.yaml", samen)
        await running.say(COACH, "/cases")
        yield running


async def _started(
    app: App, adapter: MemoryAdapter, clock: FrozenClock, roster: Path, samen: dict[str, Program]
) -> Cohort:
    """The roster imported and each learner's first message written."""
    await import_roster(app.database, parse_roster(roster, samen), samen, now=clock.now())
    started = Cohort(app, adapter, clock)
    for name in LEARNERS:
        await started.say(name, "hallo")
    return started


async def _give(cohort: Cohort, giver: str, *answers: str) -> None:
    await cohort.press(giver, translate("nl", "peer.give"))
    for answer in answers:
        await cohort.say(giver, answer)
    await cohort.press(giver, translate("nl", "peer.send"))


async def test_a_round_for_five_pairs_them_introduces_them_and_carries_their_feedback(cohort: Cohort) -> None:
    await cohort.at(ROUND_STARTS)
    given = await cohort.feedback()
    groups: dict[int, set[int]] = {}
    for feedback in given:
        groups.setdefault(feedback.group_no, set()).update({feedback.giver_id, feedback.receiver_id})
    assert sorted(len(members) for members in groups.values()) == [2, 3]  # one pair, one trio
    for name in LEARNERS:
        [intro] = [m for m in cohort.to(name) if "Feedback van een groepsgenoot" in m.text]
        assert [c.label for c in intro.choices] == [translate("nl", "peer.give")]
        assert "Kijk een keer mee" in intro.text

    anna = await cohort.person("anna")
    mine = next(f for f in given if f.giver_id == anna)
    receiver = await cohort.name_of(mine.receiver_id)
    await cohort.press("anna", translate("nl", "peer.give"))
    assert cohort.last("anna").text == "(1/2) Wat zag je?"
    await cohort.say("anna", "Je vroeg eerst wat de ander zag.")
    assert cohort.last("anna").text == "(2/2) Wat raad je aan?"
    await cohort.say("anna", "Houd dat vast, en vraag door.")
    confirm = cohort.last("anna")
    assert "Je vroeg eerst wat de ander zag" in confirm.text
    await cohort.press("anna", translate("nl", "peer.redo"))  # she writes it again
    await cohort.say("anna", "Je vroeg eerst wat [de ander](https://evil.example) zag.")
    await cohort.say("anna", "Vraag door.")
    await cohort.press("anna", translate("nl", "peer.send"))

    received = cohort.last(receiver)
    assert received.text.startswith(translate("nl", "peer.received", giver="Anna de Vries"))
    assert "evil" in received.text  # shown as she typed it ...
    assert "](https://" not in received.text  # ... never as a link
    await cohort.press(receiver, "★★★★")
    await cohort.press(receiver, translate("nl", "peer.thank"))
    await cohort.say(receiver, "Dank je, Anna")
    assert "Dank je" in cohort.last("anna").text
    stored = next(f for f in await cohort.feedback() if f.id == mine.id)
    assert (stored.status, stored.rating, stored.thanks) == ("given", 4, "Dank je, Anna")

    await cohort.say(receiver, "/journal")
    assert "Feedback van Anna de Vries" in cohort.last(receiver).text
    await cohort.say("anna", "/journal")
    assert "Jouw feedback voor" in cohort.last("anna").text
    # The words are in peer_feedback only (and in the journal answers, which keep no text once sent).
    assert await find_text(cohort.app.database, "Vraag door") == [("peer_feedback", "answers")]


async def test_a_report_opens_a_case_for_the_coaches_and_the_giver_is_not_told(cohort: Cohort) -> None:
    await cohort.at(ROUND_STARTS)
    anna = await cohort.person("anna")
    receiver = await cohort.name_of(
        next(f for f in await cohort.feedback() if f.giver_id == anna).receiver_id
    )
    await _give(cohort, "anna", "Dit is onaardig", "Echt")
    anna_before = len(cohort.to("anna"))
    await cohort.press(receiver, translate("nl", "peer.report"))
    assert cohort.last(receiver).text == translate("nl", "peer.reported")
    post = cohort.last(COACH)
    assert "Dit is onaardig" in post.text
    assert "Anna de Vries" in post.text
    await cohort.press(COACH, translate("nl", "coach.claim"))
    async with cohort.app.database.read() as session:
        case = (await session.exec(select(CoachCase))).one()
    assert (case.status, case.peer_feedback_id is not None) == ("claimed", True)
    assert len(cohort.to("anna")) == anna_before  # the giver hears nothing


async def test_one_reminder_halfway_and_a_kind_word_for_a_no_show_at_the_close(cohort: Cohort) -> None:
    await cohort.at(ROUND_STARTS)
    feedback = await cohort.feedback()
    givers = [await cohort.name_of(f.giver_id) for f in feedback]
    for name in givers[:-1]:
        await _give(cohort, name, "Goed gedaan", "Ga zo door")
    late = givers[-1]
    waiting_for = await cohort.name_of(feedback[-1].receiver_id)

    await cohort.at(ROUND_STARTS + timedelta(days=2))  # halfway
    reminded = [name for name in LEARNERS if "herinnering" in cohort.last(name).text]
    assert reminded == [late]
    assert await cohort.app.run_rounds() == 0  # once

    await cohort.at(ROUND_STARTS + timedelta(days=5))  # after the close (a Sunday): Monday morning
    assert cohort.last(waiting_for).text == translate("nl", "peer.no_show")
    await cohort.say(waiting_for, "Ik let meer op mijn toon.")  # the reflection instead
    await cohort.say(waiting_for, "/journal")
    assert "Ik let meer op mijn toon." in cohort.last(waiting_for).text

    await _give(cohort, late, "Sorry, te laat", "Toch nog")  # late feedback is still delivered
    assert cohort.last(waiting_for).text.startswith("**Feedback van")


TIP = """---
id: tip
title: Een tip
type: tip
when: 2 days after s1 at 11:00
---
Vraag vandaag iemand om feedback.
"""


async def test_a_colleagues_feedback_takes_a_place_under_the_receivers_daily_cap(
    tmp_path: Path, samen: dict[str, Program]
) -> None:
    folder = tmp_path / "programs" / "samen"
    (folder / "program.md").write_text(PROGRAM.replace("max_per_day: 3", "max_per_day: 1"), encoding="utf-8")
    (folder / "02-tip.md").write_text(TIP, encoding="utf-8")  # Thursday 11:00, one message a day
    programs = load_programs(tmp_path / "programs")
    clock = FrozenClock(MONDAY)
    adapter = MemoryAdapter()
    async with app_on(tmp_path, programs, clock, adapter) as app:
        cohort = await _started(app, adapter, clock, tmp_path / "samen.yaml", programs)
        await cohort.at(ROUND_STARTS)
        await cohort.at(datetime(2027, 1, 14, 8, 0, tzinfo=UTC))  # Thursday 09:00
        anna = await cohort.person("anna")
        receiver = await cohort.name_of(
            next(f for f in await cohort.feedback() if f.giver_id == anna).receiver_id
        )
        await _give(cohort, "anna", "Je luisterde goed", "Vraag door")
        assert cohort.last(receiver).text.startswith("**Feedback van Anna de Vries")

        await cohort.at(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))  # Thursday 11:00: the tip's time
        tipped = {name for name in LEARNERS if "Vraag vandaag iemand" in cohort.last(name).text}
        assert tipped == set(LEARNERS) - {receiver}  # the feedback took the receiver's place today
        await cohort.at(datetime(2027, 1, 15, 7, 0, tzinfo=UTC))  # Friday 08:00
        assert "Vraag vandaag iemand" in cohort.last(receiver).text


async def test_who_opted_out_is_left_out_and_gets_the_step_as_their_own_task(cohort: Cohort) -> None:
    await cohort.say("sanne", "/peers off")
    assert cohort.last("sanne").text == translate("nl", "peer.turned.off")
    await cohort.at(ROUND_STARTS)
    sanne = await cohort.person("sanne")
    feedback = await cohort.feedback()
    assert sanne not in {f.giver_id for f in feedback} | {f.receiver_id for f in feedback}
    assert len(feedback) == 4  # two pairs of the other four
    step = cohort.last("sanne")
    assert [c.label for c in step.choices][:1] == [translate("nl", "button.done.peer-feedback")]


async def _pair_then_crash(
    app: App, samen: dict[str, Program], now: datetime, *, into: set[tuple[int, int]]
) -> None:
    """A learner's introduction forms the round, then the process dies before committing."""
    async with app.database.transaction() as session:
        enrolment = (await session.exec(select(Enrolment).limit(1))).one()
        assert enrolment.id is not None
        learner = await load_learner(session, enrolment.id, samen)
        assert learner is not None
        await peer_flows.introduction(session, learner, samen["samen"].intervention("elkaar"), now=now)
        into |= {(f.giver_id, f.receiver_id) for f in await peers.feedback_of_round(session, 1)}
        raise RuntimeError("crash")


async def test_a_crash_between_pairing_and_introductions_gives_the_same_groups_once(
    tmp_path: Path, samen: dict[str, Program]
) -> None:
    clock = FrozenClock(MONDAY)
    adapter = MemoryAdapter()
    async with app_on(tmp_path, samen, clock, adapter) as app:
        await _started(app, adapter, clock, tmp_path / "samen.yaml", samen)
        clock.set(ROUND_STARTS)
        first: set[tuple[int, int]] = set()
        with pytest.raises(RuntimeError):  # the process dies after pairing, before it commits
            await _pair_then_crash(app, samen, clock.now(), into=first)
        assert len(first) == 5  # formed: one pair (two rows) and one trio (three)
    async with app_on(tmp_path, samen, clock, adapter) as restarted:
        await restarted.dispatcher.run_due()
        async with restarted.database.read() as session:
            rounds = (await session.exec(select(PeerRound))).all()
            again = {
                (f.giver_id, f.receiver_id) for f in await peers.feedback_of_round(session, rounds[0].id or 0)
            }
        assert len(rounds) == 1
        assert again == first  # the round's key seeds the pairing
        for name in LEARNERS:
            intros = [
                m
                for m in adapter.sent
                if m.recipient.external_id == _email(name) and "groepsgenoot" in m.text
            ]
            assert len(intros) == 1


async def test_the_operator_lists_rounds_and_cases_never_their_words(cohort: Cohort, tmp_path: Path) -> None:
    await cohort.at(ROUND_STARTS)
    anna = await cohort.person("anna")
    receiver = await cohort.name_of(
        next(f for f in await cohort.feedback() if f.giver_id == anna).receiver_id
    )
    await _give(cohort, "anna", "Een geheim woord", "Nog een")
    await cohort.press(receiver, "★★")
    await cohort.press(receiver, translate("nl", "peer.report"))
    env = {"COACHBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"}
    listed = coachbot("peers", "samen-1", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["round", "step", "group", "giver", "receiver", *PEER_STATES]
    [annas] = [line for line in lines if line.split()[3:6] == ["Anna", "de", "Vries"]]
    # introduced, given at, received, rated 2, reported
    assert annas.split()[-7:] == ["yes", "2027-01-13", "09:00", "UTC", "yes", "2", "yes"]
    assert "geheim" not in listed.stdout
    csv_rows = coachbot("peers", "samen-1", "--format", "csv", cwd=tmp_path, env=env).stdout.splitlines()
    assert len(csv_rows) == 1 + 5
    cases_listed = coachbot("cases", "--cohort", "samen-1", cwd=tmp_path, env=env)
    assert "open" in cases_listed.stdout
    assert "geheim" not in cases_listed.stdout
    unknown = coachbot("peers", "nope", cwd=tmp_path, env=env)
    assert unknown.returncode != 0
    assert "there is no cohort 'nope'" in unknown.stderr


async def test_a_cohort_of_one_active_learner_gets_a_kind_word_and_no_round(
    tmp_path: Path, samen: dict[str, Program]
) -> None:
    clock = FrozenClock(MONDAY)
    adapter = MemoryAdapter()
    async with app_on(tmp_path, samen, clock, adapter) as app:
        await import_roster(
            app.database, parse_roster(tmp_path / "samen.yaml", samen), samen, now=clock.now()
        )
        alone = Cohort(app, adapter, clock)
        await alone.say("anna", "hallo")  # the others never started
        await alone.at(ROUND_STARTS)
        step = alone.last("anna")
        assert step.text.startswith(translate("nl", "peer.alone"))
        assert [c.label for c in step.choices][:1] == [translate("nl", "button.done.peer-feedback")]
        assert await alone.feedback() == []


async def test_a_too_long_answer_or_thanks_is_refused_and_the_question_stays_open(cohort: Cohort) -> None:
    await cohort.at(ROUND_STARTS)
    anna = await cohort.person("anna")
    receiver = await cohort.name_of(
        next(f for f in await cohort.feedback() if f.giver_id == anna).receiver_id
    )
    await cohort.press("anna", translate("nl", "peer.give"))
    await cohort.say("anna", "x" * 4001)
    assert cohort.last("anna").text == translate("nl", "coach.too_long")
    await cohort.say("anna", "Korter")  # still the first question's answer
    assert cohort.last("anna").text == "(2/2) Wat raad je aan?"
    await cohort.say("anna", "Ga zo door")
    await cohort.press("anna", translate("nl", "peer.send"))
    await cohort.press(receiver, translate("nl", "peer.thank"))
    await cohort.say(receiver, "d" * 501)
    assert cohort.last(receiver).text == translate("nl", "peer.thank.too_long", limit=500)
    await cohort.say(receiver, "Dank")
    assert cohort.last(receiver).text == translate("nl", "peer.thank.sent")
