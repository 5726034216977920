# ruff: noqa: F811  (fixtures imported from tests.fakes.databases are redefined as parameters)
"""Finding roster learners in Slack by e-mail before they write: the real App and SlackAdapter,
the fake Web API answering `users.lookupByEmail` per address, and the demo cohort."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.adapters.slack import SlackAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.domain.messages import Identity, Inbound
from bot.matching import EmailMatcher
from bot.settings import Settings
from bot.storage.models import Enrolment, Person
from bot.storage.models import Identity as IdentityRow
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import FakeTime, make_adapter
from tests.fakes.apps import DEMO_ROSTER
from tests.fakes.databases import (  # noqa: F401  (fixtures)
    dialect,
    migrated_database_url,
    migration_template,
    postgresql_template,
    sqlite_template,
)
from tests.fakes.slack_api import FakeSlackApi

ANNA, BRAM, SANNE = "anna@acme.example", "bram@acme.example", "sanne@acme.example"
PARTICIPANTS = 5  # in the demo roster


@dataclass
class Sweeping:
    app: App
    api: FakeSlackApi
    adapter: SlackAdapter
    matcher: EmailMatcher

    def looked_up(self) -> list[str]:
        return [str(call.params["email"]) for call in self.api.calls_to("users.lookupByEmail")]

    async def slack_ids(self) -> dict[str, str]:
        """E-mail -> linked Slack user id."""
        async with self.app.database.transaction() as session:
            rows = await session.exec(
                select(Person.email, IdentityRow.external_id)
                .join(IdentityRow)
                .where(IdentityRow.platform == "slack")
            )
            return dict(rows.all())

    async def started_at(self, email: str) -> datetime | None:
        async with self.app.database.transaction() as session:
            enrolment = (
                await session.exec(
                    select(Enrolment)
                    .join(Person, Enrolment.person_id == Person.id)
                    .where(Person.email == email)
                )
            ).one()
            return enrolment.started_at


@pytest.fixture
async def sweeping(
    migrated_database_url: str, programs: dict[str, Program], clock: FrozenClock
) -> AsyncIterator[Sweeping]:
    """The demo cohort imported, on SQLite and (with COACHBOT_TEST_POSTGRES_URL) PostgreSQL."""
    api = await FakeSlackApi().start()
    adapter = make_adapter(api, clock=clock, fake_time=FakeTime())
    settings = Settings(database_url=migrated_database_url)
    try:
        async with App(settings=settings, clock=clock, adapters=[adapter], programs=programs) as app:
            roster = parse_roster(DEMO_ROSTER, programs)
            await import_roster(app.database, roster, programs, now=clock.now())
            # No pause between lookups here; the pacing has a test of its own.
            matcher = EmailMatcher(
                database=app.database, directory=adapter, welcome=app.conversation.welcome, lookup_interval=0
            )
            yield Sweeping(app, api, adapter, matcher)
    finally:
        await api.stop()


async def test_a_sweep_links_and_greets_the_learners_slack_knows(
    sweeping: Sweeping, clock: FrozenClock
) -> None:
    sweeping.api.add_user(ANNA, "U0ANNA")
    sweeping.api.add_user(BRAM, "U0BRAM")

    report = await sweeping.matcher.sweep()  # Monday 09:00 in Amsterdam, 08:00 for Bram in London
    await sweeping.app.dispatcher.run_due()

    assert (report.looked_up, report.linked, report.not_found, report.failed) == (PARTICIPANTS, 2, 3, 0)
    assert await sweeping.slack_ids() == {ANNA: "U0ANNA", BRAM: "U0BRAM"}
    assert await sweeping.started_at(ANNA) is not None
    assert await sweeping.started_at(SANNE) is None
    # The journey starts as at a first message: the welcome, then the kick-off with buttons.
    to_anna = sweeping.api.messages_to("D0ANNA")
    assert to_anna[0]["text"].startswith("Welkom bij *Feedback geven en ontvangen*")
    assert any(block["type"] == "actions" for block in to_anna[-1]["blocks"])
    # Bram's send window (08:30-17:30 in London) has not opened yet: his greeting waits for it.
    assert [c.params["users"] for c in sweeping.api.calls_to("conversations.open")] == ["U0ANNA"]
    clock.advance(timedelta(minutes=30))
    await sweeping.app.dispatcher.run_due()
    assert [c.params["users"] for c in sweeping.api.calls_to("conversations.open")] == ["U0ANNA", "U0BRAM"]
    assert sweeping.api.messages_to("D0BRAM")[0]["text"].startswith("Welkom bij")  # the programme's text


async def test_a_learner_found_at_night_is_greeted_when_their_send_window_opens(
    sweeping: Sweeping, clock: FrozenClock
) -> None:
    """A sweep runs at any hour; the bot opening a conversation keeps to the send window and
    workdays like any message it starts (a learner who writes is answered at once)."""
    sweeping.api.add_user(ANNA, "U0ANNA")
    clock.set(datetime(2027, 1, 8, 22, 0, tzinfo=UTC))  # Friday 23:00 in Amsterdam
    report = await sweeping.matcher.sweep()
    assert report.linked == 1
    assert await sweeping.started_at(ANNA) is not None  # linked and started: not looked up again

    for moment in (datetime(2027, 1, 9, 10, 0, tzinfo=UTC), datetime(2027, 1, 11, 7, 29, tzinfo=UTC)):
        clock.set(moment)  # Saturday 11:00, and Monday 08:29 in Amsterdam
        await sweeping.app.dispatcher.run_due()
        assert sweeping.api.messages_to("D0ANNA") == []

    clock.set(datetime(2027, 1, 11, 7, 30, tzinfo=UTC))  # Monday 08:30: the window opens
    await sweeping.app.dispatcher.run_due()
    to_anna = sweeping.api.messages_to("D0ANNA")
    assert to_anna[0]["text"].startswith("Welkom bij *Feedback geven en ontvangen*")  # first
    assert any(block["type"] == "actions" for block in to_anna[-1]["blocks"])  # then the kick-off


async def test_a_learner_who_writes_before_the_greeting_waiting_for_them_is_greeted_at_once_and_once(
    sweeping: Sweeping, clock: FrozenClock
) -> None:
    sweeping.api.add_user(ANNA, "U0ANNA")
    clock.set(datetime(2027, 1, 8, 22, 0, tzinfo=UTC))  # Friday 23:00 in Amsterdam
    await sweeping.matcher.sweep()  # her greeting waits for Monday 08:30

    clock.set(datetime(2027, 1, 9, 10, 0, tzinfo=UTC))  # Saturday 11:00: she writes first
    said = Inbound(
        identity=Identity("slack", "U0ANNA"), event_id="Ev-early", received_at=clock.now(), text="hoi"
    )
    assert (await sweeping.app.conversation.handle(said)).accepted
    await sweeping.app.dispatcher.run_due()
    greeted = sweeping.api.messages_to("D0ANNA")  # as at a first message: not a fallback answer
    assert greeted[0]["text"].startswith("Welkom bij *Feedback geven en ontvangen*")
    assert any(block["type"] == "actions" for block in greeted[-1]["blocks"])  # the kick-off

    clock.set(datetime(2027, 1, 11, 7, 30, tzinfo=UTC))  # Monday 08:30: the waiting greeting is gone
    await sweeping.app.dispatcher.run_due()
    welcomes = [m for m in sweeping.api.messages_to("D0ANNA") if m["text"].startswith("Welkom bij")]
    assert welcomes == greeted[:1]


async def test_the_next_sweep_asks_again_for_those_still_unlinked(sweeping: Sweeping) -> None:
    sweeping.api.add_user(ANNA, "U0ANNA")
    await sweeping.matcher.sweep()
    sweeping.api.add_user(SANNE, "U0SANNE")  # joined the workspace since

    report = await sweeping.matcher.sweep()

    assert (report.looked_up, report.linked) == (PARTICIPANTS - 1, 1)
    assert sweeping.looked_up().count(ANNA) == 1
    assert sweeping.looked_up().count(BRAM) == 2
    assert (await sweeping.slack_ids())[SANNE] == "U0SANNE"


async def test_a_rate_limit_ends_the_sweep_and_the_next_one_carries_on(sweeping: Sweeping) -> None:
    sweeping.api.add_user(ANNA, "U0ANNA")
    sweeping.api.rate_limit_next("users.lookupByEmail", retry_after=30)

    stopped = await sweeping.matcher.sweep()
    assert stopped.stopped_early
    assert (stopped.looked_up, stopped.linked) == (0, 0)
    assert len(sweeping.api.calls_to("users.lookupByEmail")) == 1
    assert await sweeping.slack_ids() == {}

    again = await sweeping.matcher.sweep()
    assert not again.stopped_early
    assert (again.looked_up, again.linked) == (PARTICIPANTS, 1)


async def test_lookups_are_paced_and_stopping_ends_a_sweep_in_its_pause(sweeping: Sweeping) -> None:
    matcher = EmailMatcher(
        database=sweeping.app.database,
        directory=sweeping.adapter,
        welcome=sweeping.app.conversation.welcome,
        lookup_interval=3600,  # as if Slack allowed one lookup an hour
    )
    sweep = asyncio.create_task(matcher.sweep())
    await sweeping.api.wait_for("users.lookupByEmail", 1)

    await matcher.stop()  # what `coachbot run` does on SIGTERM

    report = await sweep
    assert (report.looked_up, report.stopped_early) == (1, True)
    assert len(sweeping.api.calls_to("users.lookupByEmail")) == 1
    assert (await matcher.sweep()).looked_up == 0  # a stopped matcher asks no more


async def test_a_failed_lookup_is_counted_and_the_sweep_goes_on(sweeping: Sweeping) -> None:
    sweeping.api.add_user(ANNA, "U0ANNA")
    sweeping.api.fail_next("users.lookupByEmail", "internal_error", status=500)

    report = await sweeping.matcher.sweep()

    assert (report.failed, report.looked_up, report.linked) == (1, PARTICIPANTS - 1, 1)


async def test_a_learner_who_started_elsewhere_or_is_linked_is_not_looked_up(
    sweeping: Sweeping, clock: FrozenClock
) -> None:
    await sweeping.app.conversation.handle(
        Inbound(
            identity=Identity("console", BRAM), event_id="console-1", received_at=clock.now(), text="hallo"
        )
    )
    sweeping.api.add_user(ANNA, "U0ANNA")
    await sweeping.matcher.sweep()

    await sweeping.matcher.sweep()

    assert BRAM not in sweeping.looked_up()  # started on the console: no surprise second channel
    assert sweeping.looked_up().count(ANNA) == 1


async def test_an_account_already_linked_to_someone_else_is_not_taken(sweeping: Sweeping) -> None:
    sweeping.api.add_user(ANNA, "U0SHARED")
    await sweeping.matcher.sweep()
    sweeping.api.add_user(SANNE, "U0SHARED")  # Slack now says this account has Sanne's address

    report = await sweeping.matcher.sweep()

    assert report.linked == 0
    assert await sweeping.slack_ids() == {ANNA: "U0SHARED"}


async def test_sweeps_log_counts_never_addresses(
    sweeping: Sweeping, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    sweeping.api.add_user(ANNA, "U0ANNA")
    sweeping.api.fail_next("users.lookupByEmail", "internal_error", status=500)

    await sweeping.matcher.sweep()
    await sweeping.app.dispatcher.run_due()

    assert "match-slack: 4 looked up, 1 linked, 3 not found, 1 failed" in caplog.text
    assert "acme.example" not in caplog.text
    assert "coachbot.example" not in caplog.text
