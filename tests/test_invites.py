"""Joining by invite: personal deep links, `/start TOKEN` links a chat, bad tokens link nothing;
coaches and managers join as themselves, never enrolled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.domain.errors import CoachbotError
from bot.i18n import translate
from bot.joining import InviteLink, InviteRole, issue_links
from bot.storage.invites import token_hash
from bot.storage.models import Enrolment, Identity, Invite, Person
from content.model import Program
from scheduler.clock import FrozenClock
from tests.fakes.apps import MONDAY_BEFORE_S1, demo_app
from tests.fakes.memory_adapter import MemoryAdapter

ANNA = "anna@acme.example"
COHORT = "fb-2027-q1"


@pytest.fixture
async def app(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[App]:
    async with demo_app(tmp_path, programs, clock, MemoryAdapter(platform="telegram")) as running:
        yield running


async def _links(app: App, clock: FrozenClock) -> dict[str, InviteLink]:
    links = await issue_links(
        app.database,
        cohort_id=COHORT,
        bot_username="coach_bot",
        now=clock.now(),
        valid_for=timedelta(days=30),
    )
    return {link.email: link for link in links}


def _token(link: InviteLink) -> str:
    prefix = "https://t.me/coach_bot?start="
    assert link.link.startswith(prefix)
    return link.link.removeprefix(prefix)


async def _say(app: App, chat: str, text: str, clock: FrozenClock) -> list[str]:
    adapter = app.adapters["telegram"]
    assert isinstance(adapter, MemoryAdapter)
    before = len(adapter.sent)
    await adapter.say(chat, text, at=clock.now())
    await app.dispatcher.run_due()
    return [message.text for message in adapter.sent[before:]]


async def _linked_chats(app: App) -> list[str]:
    async with app.database.transaction() as session:
        return [row.external_id for row in (await session.exec(select(Identity))).all()]


async def test_every_participant_gets_a_personal_link_stored_only_as_a_hash(
    app: App, clock: FrozenClock
) -> None:
    links = await _links(app, clock)
    assert len(links) == 5
    tokens = {_token(link) for link in links.values()}
    assert len(tokens) == 5
    assert all(len(token) >= 20 for token in tokens)
    assert links[ANNA].expires_at == MONDAY_BEFORE_S1 + timedelta(days=30)
    async with app.database.transaction() as session:
        stored = {row.token_hash for row in (await session.exec(select(Invite))).all()}
    assert stored == {token_hash(token) for token in tokens}
    assert not stored & tokens


async def test_start_with_a_token_links_the_chat_and_starts_onboarding(
    app: App, clock: FrozenClock, programs: dict[str, Program]
) -> None:
    token = _token((await _links(app, clock))[ANNA])
    texts = await _say(app, "4242", f"/start {token}", clock)
    assert texts[0] == programs["feedback-geven"].welcome
    assert await _linked_chats(app) == ["4242"]
    again = await _say(app, "4242", "/start", clock)
    assert again[0] == translate("nl", "start.again", name="Anna")
    # The kick-off's open question is shown again, answerable as when it was first asked.
    assert again[1:] == [text for text in texts if "Stelling 1/12" in text]


async def test_a_used_token_links_nothing_and_says_so(app: App, clock: FrozenClock) -> None:
    token = _token((await _links(app, clock))[ANNA])
    await _say(app, "4242", f"/start {token}", clock)
    texts = await _say(app, "5555", f"/start {token}", clock)
    assert texts == ["\n\n".join(translate(language, "invite.used") for language in ("nl", "en"))]
    assert await _linked_chats(app) == ["4242"]


async def test_an_expired_token_links_nothing_and_says_so(app: App, clock: FrozenClock) -> None:
    token = _token((await _links(app, clock))[ANNA])
    clock.advance(timedelta(days=30))
    texts = await _say(app, "4242", f"/start {token}", clock)
    assert translate("en", "invite.expired") in texts[0]
    assert await _linked_chats(app) == []


async def test_an_unknown_token_links_nothing_and_says_so(app: App, clock: FrozenClock) -> None:
    await _links(app, clock)
    texts = await _say(app, "4242", "/start not-a-token", clock)
    assert translate("nl", "invite.unknown") in texts[0]
    assert await _linked_chats(app) == []


async def test_start_without_a_token_explains_how_to_join(app: App, clock: FrozenClock) -> None:
    texts = await _say(app, "4242", "/start", clock)
    assert translate("en", "stranger") in texts[0]
    assert await _linked_chats(app) == []


async def test_new_links_replace_the_unused_old_ones(app: App, clock: FrozenClock) -> None:
    old = _token((await _links(app, clock))[ANNA])
    new = _token((await _links(app, clock))[ANNA])
    texts = await _say(app, "4242", f"/start {old}", clock)
    assert translate("nl", "invite.unknown") in texts[0]
    await _say(app, "4242", f"/start {new}", clock)
    assert await _linked_chats(app) == ["4242"]


async def test_links_for_an_unknown_cohort_are_refused(app: App, clock: FrozenClock) -> None:
    with pytest.raises(CoachbotError, match="no-such"):
        await issue_links(
            app.database, cohort_id="no-such", bot_username="b", now=clock.now(), valid_for=timedelta(days=1)
        )


# --- coaches and managers: a personal link, no enrolment --------------------------------------

COACH = "coach@acme.example"


async def _role_links(app: App, clock: FrozenClock, role: InviteRole) -> dict[str, InviteLink]:
    links = await issue_links(
        app.database,
        cohort_id=COHORT,
        bot_username="coach_bot",
        now=clock.now(),
        valid_for=timedelta(days=30),
        role=role,
    )
    return {link.email: link for link in links}


async def _enrolled(app: App, email: str) -> bool:
    async with app.database.transaction() as session:
        person = (await session.exec(select(Person).where(Person.email == email))).one()
        return bool((await session.exec(select(Enrolment).where(Enrolment.person_id == person.id))).all())


async def test_coaches_and_managers_get_links_for_themselves_not_for_an_enrolment(
    app: App, clock: FrozenClock
) -> None:
    coaches = await _role_links(app, clock, "coach")
    managers = await _role_links(app, clock, "manager")
    assert list(coaches) == [COACH]
    assert list(managers) == ["mark@acme.example", "lotte@acme.example"]  # roster order
    assert coaches[COACH].expires_at == MONDAY_BEFORE_S1 + timedelta(days=30)
    async with app.database.transaction() as session:
        rows = (await session.exec(select(Invite, Person).join(Person))).all()
    assert {(person.email, invite.enrolment_id) for invite, person in rows} == {
        (COACH, None),
        ("mark@acme.example", None),
        ("lotte@acme.example", None),
    }
    tokens = {_token(link) for link in [*coaches.values(), *managers.values()]}
    assert {invite.token_hash for invite, _ in rows} == {token_hash(token) for token in tokens}


async def test_a_coach_who_follows_their_link_gets_the_coach_answer_and_is_not_enrolled(
    app: App, clock: FrozenClock
) -> None:
    token = _token((await _role_links(app, clock, "coach"))[COACH])
    texts = await _say(app, "7777", f"/start {token}", clock)
    assert texts == [translate("nl", "role.coach", name="Carla", cohorts=COHORT)]
    assert await _linked_chats(app) == ["7777"]
    assert not await _enrolled(app, COACH)
    again = await _say(app, "7777", "hallo", clock)
    assert again == [translate("nl", "role.coach", name="Carla", cohorts=COHORT)]
    assert translate("nl", "not_enrolled") not in texts + again


async def test_a_manager_who_follows_their_link_gets_the_manager_answer(app: App, clock: FrozenClock) -> None:
    token = _token((await _role_links(app, clock, "manager"))["lotte@acme.example"])
    texts = await _say(app, "8888", f"/start {token}", clock)
    assert texts == [translate("nl", "role.manager", name="Lotte", cohorts=COHORT)]
    assert not await _enrolled(app, "lotte@acme.example")


async def test_a_coachs_link_works_once_and_expires(app: App, clock: FrozenClock) -> None:
    used = _token((await _role_links(app, clock, "coach"))[COACH])
    await _say(app, "7777", f"/start {used}", clock)
    texts = await _say(app, "5555", f"/start {used}", clock)
    assert texts == ["\n\n".join(translate(language, "invite.used") for language in ("nl", "en"))]
    expiring = _token((await _role_links(app, clock, "manager"))["mark@acme.example"])
    clock.advance(timedelta(days=30))
    texts = await _say(app, "6666", f"/start {expiring}", clock)
    assert translate("en", "invite.expired") in texts[0]
    assert await _linked_chats(app) == ["7777"]


async def test_new_coach_links_replace_only_the_coachs_unused_old_ones(app: App, clock: FrozenClock) -> None:
    learner = _token((await _links(app, clock))[ANNA])
    old = _token((await _role_links(app, clock, "coach"))[COACH])
    new = _token((await _role_links(app, clock, "coach"))[COACH])
    texts = await _say(app, "7777", f"/start {old}", clock)
    assert translate("nl", "invite.unknown") in texts[0]
    await _say(app, "7777", f"/start {new}", clock)
    await _say(app, "4242", f"/start {learner}", clock)  # the learners' links still work
    assert sorted(await _linked_chats(app)) == ["4242", "7777"]
