# ruff: noqa: F811  (fixtures imported from slack_fixtures are redefined as test parameters)
"""The Slack adapter in HTTP mode: real bolt AsyncApp and aiohttp server, signed requests, and
the fake Web API. Covers signatures, acknowledgement after the core's work, retries, clicks,
slash commands and App Home events."""

from __future__ import annotations

import json
import logging
import time

import aiohttp
import pytest

from bot.adapters.slack import SlackAdapter
from bot.domain.messages import Choice, Identity, Inbound, InboundAck, Outbound
from scheduler.clock import FrozenClock
from tests.adapters.slack_fixtures import (  # noqa: F401  (fixtures)
    NOW,
    FakeTime,
    RecordingCore,
    clock,
    core,
    fake_time,
    http_adapter,
    make_adapter,
    poster,
    slack_api,
)
from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, FakeSlackApi
from tests.fakes.slack_signing import (
    SignedPoster,
    block_actions_payload,
    channel_event,
    dm_event,
    event_envelope,
)

LEARNER = "U0LEARNER1"
COACH = "U0COACH01"


async def test_a_direct_message_becomes_one_inbound_and_is_acknowledged(
    poster: SignedPoster, core: RecordingCore
) -> None:
    answer = await poster.event(dm_event(LEARNER, "Het ging goed &amp; snel"), event_id="Ev0001")

    assert answer.status == 200
    assert core.inbound == [
        Inbound(
            identity=Identity("slack", LEARNER),
            event_id="Ev0001",
            received_at=NOW,
            text="Het ging goed & snel",
        )
    ]


async def test_a_retried_event_is_passed_on_with_the_same_event_id(
    poster: SignedPoster, core: RecordingCore
) -> None:
    await poster.event(dm_event(LEARNER, "hallo"), event_id="Ev0002")
    answer = await poster.event(dm_event(LEARNER, "hallo"), event_id="Ev0002", retry_num=1)

    assert answer.status == 200
    assert [i.event_id for i in core.inbound] == ["Ev0002", "Ev0002"]  # the core dedupes


async def test_a_failing_core_gets_a_500_so_slack_retries_and_the_retry_is_processed(
    poster: SignedPoster, core: RecordingCore
) -> None:
    core.fail_next = 1

    first = await poster.event(dm_event(LEARNER, "hallo"), event_id="Ev0003")
    retry = await poster.event(dm_event(LEARNER, "hallo"), event_id="Ev0003", retry_num=1)

    assert first.status == 500
    assert retry.status == 200
    assert [i.event_id for i in core.inbound] == ["Ev0003"]


async def test_forged_stale_and_tampered_requests_get_401_and_no_effect(
    poster: SignedPoster, core: RecordingCore
) -> None:
    body = json.dumps(event_envelope(dm_event(LEARNER, "hallo")))
    tampered = body.replace("hallo", "hallo!")
    headers = {"Content-Type": "application/json"}

    forged = await poster.raw(body, headers=headers, secret="not-the-secret")
    stale = await poster.raw(body, headers=headers, timestamp=int(time.time()) - 600)
    altered = await poster.raw(tampered, headers=headers, sign_body=body)
    genuine = await poster.raw(body, headers=headers)

    assert (forged.status, stale.status, altered.status) == (401, 401, 401)
    assert genuine.status == 200
    assert len(core.inbound) == 1


async def test_url_verification_echoes_the_challenge_only_when_signed(poster: SignedPoster) -> None:
    body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
    headers = {"Content-Type": "application/json"}

    signed = await poster.raw(body, headers=headers)
    forged = await poster.raw(body, headers=headers, secret="wrong")

    assert signed.status == 200
    assert signed.json() == {"challenge": "c-123"}
    assert forged.status == 401


async def test_own_and_other_bots_messages_and_edits_are_not_passed_on(
    poster: SignedPoster, core: RecordingCore
) -> None:
    own = dm_event(BOT_USER_ID, "I said this")
    own_bot = {**dm_event(LEARNER, "posted by us"), "bot_id": BOT_ID}
    other_bot = {**dm_event("U0OTHERBOT", "beep"), "bot_id": "B0OTHER", "subtype": "bot_message"}
    edit = {**dm_event(LEARNER, "edited"), "subtype": "message_changed"}

    answers = [await poster.event(event) for event in (own, own_bot, other_bot, edit)]

    assert [a.status for a in answers] == [200, 200, 200, 200]
    assert core.inbound == []


async def test_an_answer_in_a_channel_thread_is_the_writers_in_a_room_answering_the_first_message(
    http_adapter: SlackAdapter, poster: SignedPoster, core: RecordingCore
) -> None:
    post = await http_adapter.send(
        Outbound(recipient=Identity("slack", "C0COACHES"), text="Ada zoekt een coach", delivery_key="case-1")
    )
    _, _, post_ts = post.platform_message_id.partition(":")

    await poster.event(channel_event(COACH, "Ik help je", channel="C0COACHES", thread_ts=post_ts))
    await poster.event(channel_event(COACH, "Iets anders", channel="C0COACHES"))

    answer, elsewhere = core.inbound
    assert (answer.identity, answer.in_room, answer.reply_to) == (
        Identity("slack", COACH),
        True,
        post.platform_message_id,
    )
    assert (elsewhere.in_room, elsewhere.reply_to) == (True, None)


async def test_a_shared_file_arrives_as_an_attachment(poster: SignedPoster, core: RecordingCore) -> None:
    await poster.event(channel_event(COACH, "mijn notities", channel="C0COACHES", files=2))

    (inbound,) = core.inbound
    assert (inbound.text, inbound.attachment, inbound.in_room) == ("mijn notities", True, True)


async def test_a_click_in_a_channel_is_the_clickers_in_a_room(
    http_adapter: SlackAdapter, poster: SignedPoster, core: RecordingCore, slack_api: FakeSlackApi
) -> None:
    post = await http_adapter.send(
        Outbound(
            recipient=Identity("slack", "C0COACHES"),
            text="Ada zoekt een coach",
            delivery_key="case-1",
            choices=(Choice("Ik neem deze", "claim:1"),),
        )
    )
    channel, _, ts = post.platform_message_id.partition(":")

    payload = block_actions_payload(
        user=COACH, value="claim:1", channel=channel, message_ts=ts, message=slack_api.messages[(channel, ts)]
    )
    answer = await poster.action(payload)

    assert answer.status == 200
    (inbound,) = core.inbound
    assert (inbound.identity, inbound.in_room, inbound.reply_to, inbound.choice) == (
        Identity("slack", COACH),
        True,
        post.platform_message_id,
        "claim:1",
    )


async def test_a_click_records_the_choice_and_shows_it_on_the_message(
    http_adapter: SlackAdapter, poster: SignedPoster, core: RecordingCore, slack_api: FakeSlackApi
) -> None:
    receipt = await http_adapter.send(
        Outbound(
            recipient=Identity("slack", LEARNER),
            text="Hoe ging het?",
            delivery_key="d-1",
            choices=(Choice("Goed", "good"), Choice("Lastig", "hard")),
        )
    )
    channel, _, ts = receipt.platform_message_id.partition(":")
    core.answer = InboundAck(accepted=True, chosen_label="Goed")

    payload = block_actions_payload(
        user=LEARNER, value="good", channel=channel, message_ts=ts, message=slack_api.messages[(channel, ts)]
    )
    answer = await poster.action(payload)
    update = (await slack_api.wait_for("chat.update"))[0]

    assert answer.status == 200
    assert core.inbound[0].choice == "good"
    assert core.inbound[0].reply_to == receipt.platform_message_id
    assert core.inbound[0].in_room is False  # a click in the learner's DM
    assert core.inbound[0].event_id == payload["trigger_id"]
    blocks = slack_api.messages[(channel, ts)]["blocks"]
    assert [b["type"] for b in blocks] == ["section", "context"]
    assert blocks[0]["text"]["text"] == "Hoe ging het?"
    assert blocks[1]["elements"][0]["text"] == "✓ Goed"
    assert update.params["ts"] == ts


async def test_an_old_click_changes_nothing(
    http_adapter: SlackAdapter, poster: SignedPoster, core: RecordingCore, slack_api: FakeSlackApi
) -> None:
    core.answer = InboundAck(accepted=False)

    answer = await poster.action(
        block_actions_payload(user=LEARNER, value="good", channel="D1", message_ts="1.2")
    )
    await http_adapter.stop()  # waits for any message update under way

    assert answer.status == 200
    assert len(core.inbound) == 1
    assert slack_api.count("chat.update") == 0
    assert slack_api.count("chat.postEphemeral") == 0


async def test_a_click_notice_is_shown_to_the_clicker_only(
    poster: SignedPoster, core: RecordingCore, slack_api: FakeSlackApi
) -> None:
    core.answer = InboundAck(accepted=False, notice="Deze vraag is al beantwoord <3")

    await poster.action(block_actions_payload(user=LEARNER, value="good", channel="D1", message_ts="1.2"))
    ephemeral = (await slack_api.wait_for("chat.postEphemeral"))[0]

    assert ephemeral.params["user"] == LEARNER
    assert ephemeral.params["text"] == "Deze vraag is al beantwoord &lt;3"


async def test_the_slash_command_becomes_a_text_command(poster: SignedPoster, core: RecordingCore) -> None:
    core.answer = InboundAck(accepted=True, notice="Ik stuur je het menu")

    with_text = await poster.command(user=LEARNER, text="language en")
    bare = await poster.command(user=LEARNER, text="")

    assert with_text.status == bare.status == 200
    assert [i.text for i in core.inbound] == ["/language en", "/menu"]
    assert core.inbound[0].command == ("language", "en")
    assert with_text.json() == {"text": "Ik stuur je het menu", "response_type": "ephemeral"}


async def test_opening_the_home_tab_is_reported_to_the_home_handler(
    poster: SignedPoster, core: RecordingCore
) -> None:
    home = {"type": "app_home_opened", "user": LEARNER, "channel": "D1", "tab": "home", "event_ts": "1.1"}
    messages_tab = {**home, "tab": "messages"}

    answers = [await poster.event(home), await poster.event(messages_tab)]

    assert [a.status for a in answers] == [200, 200]
    assert core.homes_opened == [Identity("slack", LEARNER)]
    assert core.inbound == []


async def test_auth_test_is_called_once_at_start_not_per_request(
    poster: SignedPoster, slack_api: FakeSlackApi, core: RecordingCore
) -> None:
    for n in range(3):
        await poster.event(dm_event(LEARNER, f"bericht {n}"))

    assert len(core.inbound) == 3
    assert slack_api.count("auth.test") == 1


async def test_request_bodies_are_not_logged_even_at_debug_level(
    slack_api: FakeSlackApi,
    core: RecordingCore,
    clock: FrozenClock,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # before the adapter exists: bolt copies levels when built
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time, core=core)
    await adapter.start(core)
    core.fail_next = 1
    body = json.dumps(event_envelope(dm_event(LEARNER, "mijn geheime reflectie")))
    headers = {"Content-Type": "application/json"}

    async with aiohttp.ClientSession() as session:
        poster = SignedPoster(session, f"http://127.0.0.1:{adapter.bound_port}/slack/events")
        await poster.raw(body, headers=headers, secret="forged")
        await poster.raw(body, headers=headers)
    await adapter.stop()

    assert core.failed.is_set()
    assert "slack request failed: RuntimeError" in caplog.text
    assert "geheime" not in caplog.text


async def test_start_logs_no_warning_with_the_usual_environment(
    slack_api: FakeSlackApi,
    core: RecordingCore,
    clock: FrozenClock,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time, core=core)

    await adapter.start(core)
    await adapter.stop()

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
