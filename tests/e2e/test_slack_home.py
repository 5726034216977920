"""The App Home tab end to end: the real App, the real SlackAdapter in HTTP mode (bolt, signed
requests) and the fake Slack Web API. The home is published when opened, after a turn that
changed the learner, and after a delivery; a failing publish never breaks a turn.

Waits are on the App's own background work (`settle`), never on a clock: time is a FrozenClock.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import func, select

from bot.app import App
from bot.domain.messages import Identity
from bot.storage import outbox
from bot.storage.models import Delivery, Enrolment, Person, ProcessedEvent
from bot.storage.models import Identity as IdentityRow
from bot.storage.repository import current_enrolment, person_by_email
from content.model import Program
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import FakeTime, make_adapter
from tests.fakes.apps import demo_app
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SignedPoster, block_actions_payload, dm_event

ANNA, ANNA_SLACK = "anna@acme.example", "U0ANNA"  # Dutch, Europe/Amsterdam
BRAM, BRAM_SLACK = "bram@acme.example", "U0BRAM"  # English, Europe/London
FEEDBACK_UP = "feedback-naar-boven"  # an optional module of the demo programme


@dataclass
class Workspace:
    app: App
    api: FakeSlackApi
    clock: FrozenClock
    poster: SignedPoster

    async def settle(self) -> None:
        """Wait until the sends and home publishes set off so far are done."""
        await self.app.dispatcher.drain()
        assert self.app.home is not None
        await self.app.home.drain()

    async def write(self, user: str, text: str) -> None:
        answer = await self.poster.event(dm_event(user, text))
        assert answer.status == 200
        await self.settle()

    async def open_home(self, user: str) -> dict[str, Any]:
        event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": "1.1"}
        published = self.publishes_to(user)
        assert (await self.poster.event(event)).status == 200
        await self.settle()
        assert self.publishes_to(user) == published + 1
        return self.home_of(user)

    async def press_on_home(self, user: str, value: str) -> None:
        answer = await self.poster.action(home_click(user, value))
        assert answer.status == 200
        await self.settle()

    def publishes_to(self, user: str) -> int:
        return sum(1 for call in self.api.calls_to("views.publish") if call.params["user_id"] == user)

    def home_of(self, user: str) -> dict[str, Any]:
        """The view last published to `user`."""
        calls = [call for call in self.api.calls_to("views.publish") if call.params["user_id"] == user]
        view: dict[str, Any] = calls[-1].params["view"]
        return view

    def posted_texts(self) -> list[str]:
        return [str(message["text"]) for message in self.api.messages.values()]


def home_click(user: str, value: str) -> dict[str, Any]:
    """A `block_actions` payload of a button on the App Home (a view, not a message)."""
    payload = block_actions_payload(user=user, value=value, channel="D1", message_ts="1.1")
    del payload["channel"], payload["message"]
    payload["container"] = {"type": "view", "view_id": "V0001"}
    payload["view"] = {"id": "V0001", "type": "home"}
    payload["actions"][0]["action_id"] = "home-choice-2-0"
    return payload


def texts(view: dict[str, Any]) -> list[str]:
    """Every text of a view, block by block."""
    found = []
    for block in view["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"]["text"] for element in block.get("elements", [])]
    return found


def section(view: dict[str, Any], heading: str) -> str:
    """The mrkdwn of the section under `*heading*`."""
    return next(text for text in texts(view) if text.startswith(f"*{heading}*\n"))


def buttons(view: dict[str, Any]) -> dict[str, str]:
    """value -> label of every button in the view."""
    return {
        element["value"]: element["text"]["text"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


@pytest.fixture
async def slack(tmp_path: Path, programs: dict[str, Program], clock: FrozenClock) -> AsyncIterator[Workspace]:
    api = await FakeSlackApi().start()
    adapter = make_adapter(api, clock=clock, fake_time=FakeTime())
    try:
        async with demo_app(tmp_path, programs, clock, adapter) as app:
            await _link(app, {ANNA: ANNA_SLACK, BRAM: BRAM_SLACK}, clock)
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{adapter.bound_port}/slack/events"
                yield Workspace(app, api, clock, SignedPoster(session, url))
    finally:
        await api.stop()


async def _link(app: App, people: dict[str, str], clock: FrozenClock) -> None:
    """Slack users for enrolled people, as if linked earlier (e.g. by their e-mail)."""
    async with app.database.transaction() as session:
        for email, user in people.items():
            person = await person_by_email(session, email)
            assert person is not None
            assert person.id is not None
            session.add(
                IdentityRow(person_id=person.id, platform="slack", external_id=user, created_at=clock.now())
            )


async def _person_id(app: App, email: str) -> int:
    async with app.database.transaction() as session:
        person = await person_by_email(session, email)
        assert person is not None
        assert person.id is not None
        return person.id


async def test_opening_the_home_shows_progress_what_comes_next_and_the_menu(slack: Workspace) -> None:
    await slack.write(ANNA_SLACK, "hallo")  # starts the journey: welcome and kick-off test

    view = await slack.open_home(ANNA_SLACK)

    assert texts(view)[0] == "Feedback geven en ontvangen"
    progress = section(view, "Je voortgang")
    assert "Gedaan: 0 van de 24 onderdelen van je leerpad" in progress
    assert "Wacht op jou: 1" in progress  # the kick-off test, sent and not yet done
    # ("Jouw leerdoel" follows the kick-off test once it is finished, so it is not planned yet)
    assert section(view, "Hierna").splitlines()[1:] == [
        "• ma 11 jan, 08:30: Neem een voorbeeld mee naar sessie 1",
        "• wo 13 jan, 09:00: Het SBI-model in het kort",
        "• do 14 jan, 13:00: Waarneming of interpretatie?",
    ]
    assert "• ☐ Feedback aan je leidinggevende" in section(view, "Je keuzemodules")
    assert buttons(view)[f"m:{FEEDBACK_UP}"] == "Kies: Feedback aan je leidinggevende"
    assert len(buttons(view)) == 6  # one per optional module, the same values as /menu


async def test_an_english_learner_sees_an_english_home_in_their_own_timezone(slack: Workspace) -> None:
    before_start = await slack.open_home(BRAM_SLACK)
    assert "Send me a message to begin" in section(before_start, "Coming up")
    assert buttons(before_start) == {}  # a press would only start the journey

    await slack.write(BRAM_SLACK, "hello")
    view = slack.home_of(BRAM_SLACK)  # re-published after the turn that started the journey

    assert texts(view)[0] == "Feedback geven en ontvangen"  # the programme's own words stay
    assert "Done: 0 of 24 parts of your path" in section(view, "Your progress")
    # the day before the first session at 07:30 Amsterdam time, moved into his send window
    # (from 08:30 London time), shown in London time
    assert (
        section(view, "Coming up").splitlines()[1]
        == "• Mon 11 Jan, 08:30: Neem een voorbeeld mee naar sessie 1"
    )
    assert buttons(view)[f"m:{FEEDBACK_UP}"] == "Add: Feedback aan je leidinggevende"


async def test_a_menu_button_on_the_home_adds_the_module_and_the_home_shows_it(slack: Workspace) -> None:
    await slack.write(ANNA_SLACK, "hallo")
    published = slack.publishes_to(ANNA_SLACK)

    await slack.press_on_home(ANNA_SLACK, f"m:{FEEDBACK_UP}")

    anna = await _person_id(slack.app, ANNA)
    async with slack.app.database.transaction() as session:
        enrolment = await current_enrolment(session, anna)
        assert enrolment is not None
        assert enrolment.id is not None
        rows = await outbox.deliveries_for(session, enrolment_id=enrolment.id)
    planned = [row for row in rows if row.intervention_id == FEEDBACK_UP]
    assert planned
    assert all(row.status == outbox.PLANNED for row in planned)
    assert enrolment.chosen == [FEEDBACK_UP]
    assert any("Feedback aan je leidinggevende” staat in je leerpad" in text for text in slack.posted_texts())
    assert slack.publishes_to(ANNA_SLACK) == published + 1
    view = slack.home_of(ANNA_SLACK)
    assert "• ☑ Feedback aan je leidinggevende" in section(view, "Je keuzemodules")
    assert buttons(view)[f"m:{FEEDBACK_UP}"] == "Verwijder: Feedback aan je leidinggevende"


async def test_a_delivered_intervention_moves_what_comes_next(slack: Workspace) -> None:
    await slack.write(ANNA_SLACK, "hallo")
    published = slack.publishes_to(ANNA_SLACK)

    slack.clock.advance(timedelta(days=7, minutes=-30))  # Mon 11 Jan 08:30: the preparation falls due
    assert await slack.app.dispatcher.run_due() == 1
    await slack.settle()

    assert slack.publishes_to(ANNA_SLACK) == published + 1
    view = slack.home_of(ANNA_SLACK)
    coming = section(view, "Hierna")
    assert "Neem een voorbeeld mee" not in coming
    assert coming.splitlines()[1] == "• wo 13 jan, 09:00: Het SBI-model in het kort"
    assert "Wacht op jou: 2" in section(view, "Je voortgang")


async def test_many_changes_while_a_publish_is_pending_make_one_publish(slack: Workspace) -> None:
    await slack.write(ANNA_SLACK, "hallo")
    published = slack.publishes_to(ANNA_SLACK)
    anna = await _person_id(slack.app, ANNA)
    assert slack.app.home is not None

    for _ in range(5):
        slack.app.home.changed(anna)
    await slack.app.home.drain()

    assert slack.publishes_to(ANNA_SLACK) == published + 1


async def test_a_stranger_opening_the_home_gets_the_join_view_and_nothing_is_stored(
    slack: Workspace,
) -> None:
    tables = (Person, IdentityRow, ProcessedEvent, Delivery, Enrolment)
    before = await _counts(slack.app, tables)

    view = await slack.open_home("U0STRANGER")

    assert texts(view)[0] == "Coachbot"
    assert any(text.startswith("Hoi! Ik ben Coachbot") for text in texts(view))
    assert any(text.startswith("Hi! I'm Coachbot") for text in texts(view))
    assert buttons(view) == {}
    assert await _counts(slack.app, tables) == before


async def test_a_failing_publish_does_not_break_the_turn_and_the_next_open_shows_the_home(
    slack: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    await slack.write(ANNA_SLACK, "hallo")
    published = slack.publishes_to(ANNA_SLACK)
    slack.api.fail_next("views.publish", "internal_error")

    with caplog.at_level(logging.WARNING, logger="bot.home"):
        await slack.write(ANNA_SLACK, "/pause")

    assert slack.publishes_to(ANNA_SLACK) == published + 1  # tried, and Slack said no
    assert any(text.startswith("Gepauzeerd") for text in slack.posted_texts())
    anna = await _person_id(slack.app, ANNA)
    async with slack.app.database.transaction() as session:
        enrolment = await current_enrolment(session, anna)
        assert enrolment is not None
        assert enrolment.paused_at is not None
    assert "home on slack not published" in caplog.text
    assert ANNA_SLACK not in caplog.text
    assert ANNA not in caplog.text

    view = await slack.open_home(ANNA_SLACK)
    assert "Je berichten staan op pauze" in section(view, "Hierna")
    assert buttons(view) == {}


async def _counts(app: App, tables: tuple[type[Any], ...]) -> list[int]:
    async with app.database.transaction() as session:
        return [(await session.exec(select(func.count()).select_from(table))).one() for table in tables]


async def test_opening_the_home_of_another_platforms_identity_is_ignored(slack: Workspace) -> None:
    assert slack.app.home is not None
    await slack.app.home.opened(Identity("telegram", "4242"))
    await slack.app.home.drain()

    assert slack.api.count("views.publish") == 0
