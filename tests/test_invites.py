"""Joining by invite: personal deep links, `/start TOKEN` links a chat, bad tokens link nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.domain.errors import CoachbotError
from bot.i18n import translate
from bot.joining import InviteLink, issue_links
from bot.storage.invites import token_hash
from bot.storage.models import Identity, Invite
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
