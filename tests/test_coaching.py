"""Coach on demand (issue 15): a learner reaches a human coach, the coach claims the case, the
two talk through the bot, and the case closes with a rating. The demo cohort: learner Anna,
coach Carla Coach, manager Mark."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, delete, select

from bot.app import App
from bot.cohorts import import_roster
from bot.domain.messages import Outbound
from bot.i18n import translate
from bot.settings import BUNDLED_CONTENT
from bot.storage import cases
from bot.storage.db import Database
from bot.storage.models import CoachCase, CohortMember, Delivery, Prompt
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.fakes.apps import DEMO_ROSTER, app_on, demo_app
from tests.fakes.memory_adapter import MemoryAdapter
from tests.storage.seed import NOW, add_learner
from tests.storage.text_search import find_text

ANNA, CARLA, MARK = "anna@acme.example", "coach@acme.example", "mark@acme.example"
ALEX, CHRIS = "demo.en@coachbot.example", "coach@globex.example"  # the English demo cohort
ABOUT = "Ik loop vast met feedback aan mijn leidinggevende"


@pytest.fixture
async def app(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[App]:
    async with demo_app(tmp_path, programs, clock, MemoryAdapter()) as running:
        yield running


class Chat:
    """People writing to one running App over the console platform, and what each received."""

    def __init__(self, app: App, clock: FrozenClock) -> None:
        adapter = app.adapters["console"]
        assert isinstance(adapter, MemoryAdapter)
        self.app, self.adapter, self.clock = app, adapter, clock

    async def say(self, who: str, text: str = "", *, choice: str | None = None) -> None:
        await self.adapter.say(who, text, at=self.clock.now(), choice=choice)
        await self.app.dispatcher.run_due()

    def last_to(self, who: str) -> Outbound:
        return [m for m in self.adapter.sent if m.recipient.external_id == who][-1]

    def texts_to(self, who: str) -> list[str]:
        return self.adapter.texts_to(who)

    async def press(self, who: str, label: str) -> None:
        """Press the button labelled `label` on the newest message to `who` that has one."""
        for message in reversed([m for m in self.adapter.sent if m.recipient.external_id == who]):
            for choice in message.choices:
                if choice.label == label:
                    await self.say(who, choice=choice.value)
                    return
        raise AssertionError(f"no button {label!r} for {who}")

    async def case(self) -> CoachCase:
        async with self.app.database.read() as session:
            return (await session.exec(select(CoachCase))).one()


@pytest.fixture
def chat(app: App, clock: FrozenClock) -> Chat:
    return Chat(app, clock)


async def _asked_and_open(chat: Chat) -> CoachCase:
    await chat.say(CARLA, "/cases")  # the coach has joined (here: the console knows her)
    assert chat.last_to(CARLA).text == translate("nl", "coach.cases.none")
    await chat.say(ANNA, "hallo")
    await chat.say(ANNA, "Kan ik iemand spreken?")
    assert chat.last_to(ANNA).text == translate("nl", "coach.confirm")
    await chat.press(ANNA, translate("nl", "coach.yes"))
    assert chat.last_to(ANNA).text == translate("nl", "coach.describe")
    await chat.say(ANNA, ABOUT)
    await chat.press(ANNA, translate("nl", "coach.share.no"))
    return await chat.case()


async def test_a_whole_case_asked_in_plain_dutch_claimed_relayed_closed_and_rated(chat: Chat) -> None:
    case = await _asked_and_open(chat)
    assert (case.status, case.description, case.shares_reflections) == ("open", ABOUT, False)
    told = chat.texts_to(ANNA)[-2:]
    assert told[0] == translate("nl", "coach.opened")
    assert "4 werkuren" in told[1] or "werkuur" in told[1]  # when to expect an answer
    post = chat.last_to(CARLA)
    assert "Anna de Vries" in post.text
    assert "feedback aan mijn leidinggevende" in post.text
    assert [c.label for c in post.choices] == [translate("nl", "coach.claim")]

    await chat.press(CARLA, translate("nl", "coach.claim"))
    assert (await chat.case()).status == "claimed"
    assert "Carla Coach" in chat.last_to(ANNA).text  # Anna is told who has her question

    await chat.say(ANNA, "Hoe begin ik zo'n gesprek?")
    relayed = chat.last_to(CARLA).text
    assert "Anna de Vries" in relayed
    assert "Hoe begin ik zo" in relayed
    await chat.say(CARLA, "Begin met wat je zag, niet met wat je vindt.")
    answer = chat.last_to(ANNA).text
    assert "Carla Coach" in answer
    assert "Begin met wat je zag" in answer

    await chat.say(CARLA, "/close")
    closing = chat.last_to(ANNA)
    assert "Carla Coach" in closing.text
    assert [c.label for c in closing.choices] == ["★" * n for n in range(1, 6)]
    await chat.press(ANNA, "★★★★")
    closed = await chat.case()
    assert (closed.status, closed.closed_by, closed.rating) == ("closed", "coach", 4)
    assert chat.last_to(ANNA).text == translate("nl", "coach.rated")
    assert closed.first_answer_at is not None


async def test_the_words_of_a_case_live_in_the_case_tables_only(chat: Chat, app: App) -> None:
    await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(ANNA, "kanarie in de kolenmijn")
    assert await find_text(app.database, "kanarie") == [("case_messages", "text")]
    assert await find_text(app.database, "vast met feedback") == [("coach_cases", "description")]


async def test_asking_again_points_at_the_open_case(chat: Chat) -> None:
    await _asked_and_open(chat)
    await chat.say(ANNA, "/coach")
    assert chat.last_to(ANNA).text == translate("nl", "coach.already.open")
    async with chat.app.database.read() as session:
        assert len((await session.exec(select(CoachCase))).all()) == 1


async def test_saying_no_opens_nothing(chat: Chat) -> None:
    await chat.say(ANNA, "hallo")
    await chat.say(ANNA, "I need help from a real person")
    await chat.press(ANNA, translate("nl", "coach.no"))
    assert chat.last_to(ANNA).text == translate("nl", "coach.not_now")
    async with chat.app.database.read() as session:
        assert (await session.exec(select(CoachCase))).all() == []


async def test_help_offers_the_coach_and_the_learner_can_end_the_case(chat: Chat) -> None:
    await chat.say(ANNA, "hallo")
    await chat.say(ANNA, "/help")
    await chat.press(ANNA, translate("nl", "help.coach"))
    await chat.press(ANNA, translate("nl", "coach.skip"))
    await chat.press(ANNA, translate("nl", "coach.share.yes"))
    case = await chat.case()
    assert (case.status, case.description, case.shares_reflections) == ("open", "", True)
    await chat.say(ANNA, "/coach end")  # withdrawn before anyone took it: nothing to rate
    assert (await chat.case()).status == "closed"
    assert chat.last_to(ANNA).text == translate("nl", "coach.withdrawn")


async def test_someone_who_is_not_a_coach_of_the_cohort_cannot_claim(chat: Chat) -> None:
    case = await _asked_and_open(chat)
    claim = f"k:claim:{case.id}"
    await chat.say(MARK, choice=claim)  # a forwarded button pressed by the manager
    assert chat.last_to(MARK).text == translate("nl", "coach.not_yours")
    assert (await chat.case()).status == "open"


async def test_a_second_claim_is_told_who_has_it(chat: Chat) -> None:
    case = await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(CARLA, choice=f"k:claim:{case.id}")  # pressed again, e.g. on another device
    assert chat.last_to(CARLA).text == translate("nl", "coach.taken", coach="Carla Coach")


async def test_nudges_wait_while_a_case_is_unfinished_and_resume_without_a_burst(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    sent_before = len(chat.texts_to(ANNA))
    clock.advance(timedelta(days=10))  # past the first session: several nudges fell due
    await app.dispatcher.run_due()
    assert len(chat.texts_to(ANNA)) == sent_before
    await chat.say(CARLA, "/close")
    await app.dispatcher.run_due()
    anna = (await chat.case()).person_id
    async with app.database.read() as session:
        rows = (await session.exec(select(Delivery).where(Delivery.person_id == anna))).all()
    due = [row.key for row in rows if row.status == "planned" and row.due_at <= clock.now()]
    assert due == []  # what fell due meanwhile is not sent in a burst ...
    assert any(row.kind == "catch_up" for row in rows)  # ... the required parts are offered once


async def test_two_coaches_claiming_at_the_same_moment_give_one_owner(
    database: Database, migrated_database_url: str
) -> None:
    learner = await add_learner(database)
    async with database.transaction() as session:
        case = await cases.start_case(session, cohort_id="c1", person_id=learner.person_id, now=NOW)
        case.status = cases.OPEN
        session.add(case)
    assert case.id is not None
    second = Database(migrated_database_url)
    async with second:

        async def claim(db: Database, coach: int) -> bool:
            async with db.transaction() as session:
                assert case.id is not None
                return await cases.claim(session, case.id, coach_id=coach, now=NOW)

        coaches = [await add_learner(database) for _ in range(2)]
        won = await asyncio.gather(claim(database, coaches[0].person_id), claim(second, coaches[1].person_id))
    assert sorted(won) == [False, True]
    async with database.read() as session:
        stored = await session.get(CoachCase, case.id)
    assert stored is not None
    assert stored.coach_id == coaches[won.index(True)].person_id


async def test_an_unclaimed_case_is_chased_once_after_its_working_hours_across_a_weekend(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock
) -> None:
    friday_afternoon = datetime(2027, 1, 8, 15, 0, tzinfo=UTC)  # 16:00 in Amsterdam
    clock.set(friday_afternoon)
    adapter = MemoryAdapter()
    async with demo_app(tmp_path, programs, clock, adapter) as app:
        chat = Chat(app, clock)
        await _asked_and_open(chat)
        assert "maandag" in chat.texts_to(ANNA)[-1]  # 4 working hours from Friday 16:00: Monday
        clock.set(datetime(2027, 1, 9, 12, 0, tzinfo=UTC))  # Saturday: no working hours pass
        assert await app.chase_cases() == 0
        clock.set(datetime(2027, 1, 11, 10, 59, tzinfo=UTC))  # Monday 11:59
        assert await app.chase_cases() == 0
        clock.set(datetime(2027, 1, 11, 11, 0, tzinfo=UTC))  # Monday 12:00: 1 h Friday + 3 h Monday
        assert await app.chase_cases() == 2  # Carla reminded, Anna told it takes longer
        await app.dispatcher.drain()
        await app.dispatcher.run_due()
        assert chat.last_to(CARLA).text.startswith("Vraag #")
        assert translate("nl", "coach.slow") == chat.last_to(ANNA).text
        assert await app.chase_cases() == 0  # once
    async with app_on(tmp_path, programs, clock, adapter) as restarted:  # a restart repeats nothing
        assert await restarted.chase_cases() == 0
        clock.set(datetime(2027, 1, 11, 15, 0, tzinfo=UTC))  # Monday 16:00: twice the hours
        assert await restarted.chase_cases() == 1  # the lead coach (Carla, the first) is told
        assert await restarted.chase_cases() == 0


async def test_what_was_answered_is_not_asked_again_after_a_restart(chat: Chat, app: App) -> None:
    await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    async with app.database.read() as session:
        still_open = (await session.exec(select(Prompt).where(Prompt.closed_at == None))).all()  # noqa: E711
    values = [choice[1] for prompt in still_open for choice in prompt.choices]
    assert [value for value in values if value.startswith("k:")] == []  # skip, share, claim: answered


async def test_in_slack_the_apps_own_command_asks_with_talk(chat: Chat) -> None:
    await chat.say(ANNA, "hallo")
    await chat.say(ANNA, "/talk")  # what Slack's `/coach talk` arrives as
    assert chat.last_to(ANNA).text == translate("nl", "coach.describe")


async def test_the_learner_ends_a_claimed_case_and_rates_it(chat: Chat) -> None:
    await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(ANNA, "/coach end")
    assert chat.last_to(ANNA).text == translate("nl", "coach.ended")
    assert "Anna de Vries" in chat.last_to(CARLA).text  # Carla hears that Anna closed it
    await chat.press(ANNA, "★★")
    closed = await chat.case()
    assert (closed.status, closed.closed_by, closed.rating) == ("closed", "learner", 2)


async def test_a_cohort_without_coaches_is_told_so_and_its_nudges_do_not_wait(chat: Chat, app: App) -> None:
    async with app.database.transaction() as session:
        await session.exec(delete(CohortMember).where(col(CohortMember.role) == "coach"))
    await chat.say(ANNA, "hallo")
    await chat.say(ANNA, "/coach")
    await chat.press(ANNA, translate("nl", "coach.skip"))
    await chat.press(ANNA, translate("nl", "coach.share.no"))
    assert chat.last_to(ANNA).text == translate("nl", "coach.no_coaches")
    assert (await chat.case()).status == "closed"  # nothing left open to hold her nudges


async def test_a_case_in_an_english_cohort_speaks_english_to_its_coach(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock
) -> None:
    """The roster gives coaches no language: they get their cohort's programme language."""
    async with demo_app(tmp_path, programs, clock, MemoryAdapter()) as app:
        roster = parse_roster(BUNDLED_CONTENT.parent / "cohorts" / "delegation-demo.yaml", programs)
        await import_roster(app.database, roster, programs, now=clock.now())
        chat = Chat(app, clock)
        await chat.say(CHRIS, "/cases")
        assert chat.last_to(CHRIS).text == translate("en", "coach.cases.none")
        await chat.say(ALEX, "hello")
        await chat.say(ALEX, "/coach")
        await chat.press(ALEX, translate("en", "coach.skip"))
        await chat.press(ALEX, translate("en", "coach.share.no"))
        post = chat.last_to(CHRIS)
        assert post.text.startswith("**New question #1** from Alex Demo")
        assert [c.label for c in post.choices] == [translate("en", "coach.claim")]


# --- a second coach, posts that change, handing on, files, history, restarts -----------------

BO = "bo@acme.example"


async def _with_second_coach(app: App, programs: dict[str, Program], tmp_path: Path) -> None:
    """The demo cohort with Bo Coach beside Carla (the roster imported again)."""
    text = DEMO_ROSTER.read_text(encoding="utf-8").replace(
        "  - {email: coach@acme.example, name: Carla Coach}\n",
        "  - {email: coach@acme.example, name: Carla Coach}\n  - {email: bo@acme.example, name: Bo Coach}\n",
    )
    path = tmp_path / "two-coaches.yaml"
    path.write_text(text, encoding="utf-8")
    await import_roster(app.database, parse_roster(path, programs), programs, now=app.clock.now())


@pytest.fixture
async def two_coaches(chat: Chat, app: App, programs: dict[str, Program], tmp_path: Path) -> Chat:
    await _with_second_coach(app, programs, tmp_path)
    await chat.say(BO, "/cases")  # Bo has joined too
    return chat


def _edits_to(chat: Chat, who: str) -> list[Outbound]:
    return [m for m in chat.adapter.sent if m.recipient.external_id == who and m.replaces is not None]


def _id_of(chat: Chat, message: Outbound) -> str:
    return chat.adapter.receipts[chat.adapter.sent.index(message)]


async def test_a_claim_changes_every_coachs_post_to_say_who_has_it(two_coaches: Chat) -> None:
    chat = two_coaches
    await _asked_and_open(chat)
    carlas_post, bos_post = chat.last_to(CARLA), chat.last_to(BO)
    assert [c.label for c in bos_post.choices] == [translate("nl", "coach.claim")]
    await chat.press(CARLA, translate("nl", "coach.claim"))
    for who, post in ((CARLA, carlas_post), (BO, bos_post)):
        [edit] = _edits_to(chat, who)
        assert edit.replaces == _id_of(chat, post)
        assert translate("nl", "coach.post.claimed_by", coach="Carla Coach") in edit.text
        assert ABOUT not in edit.text  # the details stay with the coach who has it
        assert edit.choices == ()
    await chat.say(BO, choice=bos_post.choices[0].value)  # Bo presses the old Claim button
    assert chat.last_to(BO).text == translate("nl", "coach.taken", coach="Carla Coach")


async def test_a_coach_hands_a_case_back_and_another_claims_it(two_coaches: Chat) -> None:
    chat = two_coaches
    case = await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(CARLA, "/unclaim")
    assert chat.last_to(CARLA).text == translate("nl", "coach.unclaimed_by_you", case=case.id)
    assert chat.last_to(ANNA).text.startswith("Coach Carla Coach moest je vraag teruggeven")
    reopened = _edits_to(chat, BO)[-1]
    assert [c.label for c in reopened.choices] == [translate("nl", "coach.claim")]  # open again
    assert (await chat.case()).status == "open"
    await chat.say(BO, choice=reopened.choices[0].value)
    assert ((await chat.case()).status, "Bo Coach" in chat.last_to(ANNA).text) == ("claimed", True)
    await chat.say(CARLA, "nog een gedachte")  # Carla has no case any more: nothing reaches Anna
    assert "nog een gedachte" not in chat.last_to(ANNA).text


async def test_a_coach_hands_a_case_on_to_another_coach(two_coaches: Chat) -> None:
    chat = two_coaches
    case = await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(ANNA, "Hoe begin ik?")
    await chat.say(CARLA, f"/handover {case.id}")
    assert chat.last_to(CARLA).text == translate("nl", "coach.handover.pick", case=case.id)
    await chat.press(CARLA, "Bo Coach")
    assert chat.last_to(CARLA).text == translate(
        "nl", "coach.handed_over_by_you", case=case.id, coach="Bo Coach"
    )
    assert chat.last_to(ANNA).text == translate("nl", "coach.handed_on", by="Carla Coach", coach="Bo Coach")
    assert any(text.startswith("Carla Coach heeft vraag #") for text in chat.texts_to(BO)[-2:])
    await chat.say(BO, f"/cases {case.id}")  # Bo reads what was said so far
    assert "Hoe begin ik" in chat.last_to(BO).text
    await chat.say(BO, "Begin met een vraag.")
    assert "Begin met een vraag" in chat.last_to(ANNA).text
    assert "Bo Coach" in chat.last_to(ANNA).text
    assert translate("nl", "coach.post.claimed_by", coach="Bo Coach") in _edits_to(chat, CARLA)[-1].text


async def test_only_text_is_passed_on_both_ways(chat: Chat) -> None:
    await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    relayed_before = len(chat.texts_to(CARLA))
    await chat.adapter.say(ANNA, "", at=chat.clock.now(), attachment=True)  # a photo alone
    await chat.app.dispatcher.run_due()
    assert chat.last_to(ANNA).text == translate("nl", "coach.text_only")
    assert len(chat.texts_to(CARLA)) == relayed_before  # nothing reached the coach
    await chat.adapter.say(ANNA, "zie foto", at=chat.clock.now(), attachment=True)  # with a caption
    await chat.app.dispatcher.run_due()
    assert chat.texts_to(ANNA)[-1] == translate("nl", "coach.text_only")
    assert "zie foto" in chat.last_to(CARLA).text  # the caption is text: it is passed on
    await chat.adapter.say(CARLA, "", at=chat.clock.now(), attachment=True)
    await chat.app.dispatcher.run_due()
    assert chat.last_to(CARLA).text == translate("nl", "coach.text_only")


async def test_a_coach_answers_the_case_whose_message_they_reply_to(
    two_coaches: Chat, app: App, programs: dict[str, Program]
) -> None:
    """Carla has two cases; a reply to Anna's relayed message goes to Anna, whatever is current."""
    chat = two_coaches
    await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(ANNA, "Vraag van Anna")
    annas_message = chat.last_to(CARLA)
    sanne = "sanne@acme.example"
    await chat.say(sanne, "hallo")
    await chat.say(sanne, "/coach")
    await chat.press(sanne, translate("nl", "coach.skip"))
    await chat.press(sanne, translate("nl", "coach.share.no"))
    await chat.press(CARLA, translate("nl", "coach.claim"))  # Sanne's case is now Carla's current
    await chat.adapter.say(CARLA, "Voor Anna", at=chat.clock.now(), reply_to=_id_of(chat, annas_message))
    await app.dispatcher.run_due()
    assert "Voor Anna" in chat.last_to(ANNA).text
    assert all("Voor Anna" not in text for text in chat.texts_to(sanne))
    await chat.adapter.say(BO, "Ik ook", at=chat.clock.now(), reply_to=_id_of(chat, annas_message))
    await app.dispatcher.run_due()
    assert "niet aan jou" in chat.last_to(BO).text  # not Bo's case: nothing passed on
    assert all("Ik ook" not in text for text in chat.texts_to(ANNA))


async def test_the_learner_and_the_coach_read_a_case_again(chat: Chat) -> None:
    case = await _asked_and_open(chat)
    await chat.press(CARLA, translate("nl", "coach.claim"))
    await chat.say(ANNA, "Hoe begin ik?")
    await chat.say(CARLA, "Met een vraag.")
    await chat.say(CARLA, "/close")
    await chat.say(ANNA, "/cases")
    history = chat.last_to(ANNA).text
    for expected in ("#1", "Carla Coach", ABOUT, "Hoe begin ik", "Met een vraag", "gesloten"):
        assert expected in history
    await chat.say(CARLA, f"/cases {case.id}")
    assert "Met een vraag" in chat.last_to(CARLA).text
    await chat.say(MARK, f"/cases {case.id}")  # the manager sees no case
    assert "Met een vraag" not in chat.last_to(MARK).text


async def test_a_restart_with_an_open_case_loses_and_repeats_nothing(
    tmp_path: Path, programs: dict[str, Program], clock: FrozenClock
) -> None:
    """The learner's message is written to the outbox, then the process dies before sending
    it; the restarted process sends it once, and nothing sent before is sent again."""
    adapter = MemoryAdapter()
    async with demo_app(tmp_path, programs, clock, adapter) as app:
        chat = Chat(app, clock)
        await _asked_and_open(chat)
        await chat.press(CARLA, translate("nl", "coach.claim"))
        sent_before = list(adapter.sent)
        await adapter.say(ANNA, "Ben je er nog?", at=clock.now())  # written, not yet sent: the crash
    async with app_on(tmp_path, programs, clock, adapter) as restarted:
        await restarted.dispatcher.run_due()
        new = adapter.sent[len(sent_before) :]
        assert [m.recipient.external_id for m in new] == [CARLA]
        assert "Ben je er nog" in new[0].text
        await restarted.dispatcher.run_due()
        assert await restarted.chase_cases() == 0
        assert len(adapter.sent) == len(sent_before) + 1  # nothing repeated
        chat = Chat(restarted, clock)
        await chat.say(CARLA, "hier ben ik")  # the case goes on where it was
        assert "hier ben ik" in chat.last_to(ANNA).text
