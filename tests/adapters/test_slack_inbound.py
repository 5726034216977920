"""Slack payloads -> Inbound, and the addressing conventions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.slack_inbound import (
    Address,
    action_to_inbound,
    command_to_inbound,
    home_opened_user,
    message_to_inbound,
    parse_address,
    to_plain_text,
)
from bot.domain.messages import Identity, Inbound
from tests.fakes.slack_signing import block_actions_payload, channel_event, dm_event, event_envelope

AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LEARNER = "U0LEARNER1"


@pytest.mark.parametrize(
    ("external_id", "address"),
    [
        ("U0LEARNER1", Address(user="U0LEARNER1")),
        ("W0ENTERPRISE", Address(user="W0ENTERPRISE")),
        ("C0COACHES", Address(channel="C0COACHES")),
        ("G0PRIVATE", Address(channel="G0PRIVATE")),
        ("D0DIRECT", Address(channel="D0DIRECT")),
        ("C0COACHES/1700000300.000100", Address(channel="C0COACHES", thread_ts="1700000300.000100")),
    ],
)
def test_addresses(external_id: str, address: Address) -> None:
    assert parse_address(external_id) == address


@pytest.mark.parametrize("external_id", ["", "ann@example.com", "u0lower", "U0X/1.2", "C0X/abc", "C0X:1.2"])
def test_what_is_not_an_address(external_id: str) -> None:
    with pytest.raises(ValueError, match="Slack"):
        parse_address(external_id)


def test_a_direct_message() -> None:
    body = event_envelope(dm_event(LEARNER, "Dat ging &lt;goed&gt;"), event_id="Ev1")

    assert message_to_inbound(body, received_at=AT, bot_user_id="U0BOT") == Inbound(
        identity=Identity("slack", LEARNER), event_id="Ev1", received_at=AT, text="Dat ging <goed>"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "channel_join"},
        {"bot_id": "B0OTHER"},
        {"user": "U0BOT"},
        {"user": None},
    ],
)
def test_what_is_not_a_persons_message(change: dict[str, object]) -> None:
    body = event_envelope({**dm_event(LEARNER, "x"), **change})

    assert message_to_inbound(body, received_at=AT, bot_user_id="U0BOT") is None


@pytest.mark.parametrize("subtype", ["file_share", "thread_broadcast"])
def test_people_sharing_files_or_broadcasting_replies_still_write_messages(subtype: str) -> None:
    body = event_envelope({**dm_event(LEARNER, "kijk"), "subtype": subtype})

    inbound = message_to_inbound(body, received_at=AT, bot_user_id="U0BOT")

    assert inbound is not None
    assert inbound.text == "kijk"


def test_a_channel_message_is_in_a_room_and_its_thread_names_the_first_message() -> None:
    top = channel_event(LEARNER, "vraag", channel="C0C", ts="1.5")
    reply = channel_event(LEARNER, "antwoord", channel="C0C", ts="1.9", thread_ts="1.5")
    broadcast = {**reply, "subtype": "thread_broadcast"}

    inbounds = [
        message_to_inbound(event_envelope(e), received_at=AT, bot_user_id=None)
        for e in (top, reply, broadcast)
    ]

    assert [(i.identity, i.in_room, i.reply_to) for i in inbounds if i is not None] == [
        (Identity("slack", LEARNER), True, None),
        (Identity("slack", LEARNER), True, "C0C:1.5"),
        (Identity("slack", LEARNER), True, "C0C:1.5"),
    ]


def test_a_thread_starts_at_its_first_message_which_answers_nothing() -> None:
    first = channel_event(LEARNER, "vraag", channel="C0C", ts="1.5", thread_ts="1.5")

    inbound = message_to_inbound(event_envelope(first), received_at=AT, bot_user_id=None)

    assert inbound is not None
    assert inbound.reply_to is None


def test_a_reply_in_a_dm_thread_names_its_first_message_and_stays_out_of_rooms() -> None:
    event = {**dm_event(LEARNER, "x", channel="D0L", ts="1.9"), "thread_ts": "1.5"}

    inbound = message_to_inbound(event_envelope(event), received_at=AT, bot_user_id=None)

    assert inbound is not None
    assert (inbound.in_room, inbound.reply_to) == (False, "D0L:1.5")


@pytest.mark.parametrize(
    ("event", "attachment"),
    [
        (channel_event(LEARNER, "kijk", channel="C0C", files=1), True),
        ({**dm_event(LEARNER, ""), "subtype": "file_share"}, True),
        ({**dm_event(LEARNER, "kijk"), "files": [{"id": "F1"}]}, True),
        (dm_event(LEARNER, "gewoon tekst"), False),
    ],
)
def test_a_shared_file_is_an_attachment(event: dict[str, object], attachment: bool) -> None:
    inbound = message_to_inbound(event_envelope(event), received_at=AT, bot_user_id=None)

    assert inbound is not None
    assert (inbound.attachment, inbound.text) == (attachment, event["text"])


def test_a_button_click() -> None:
    payload = block_actions_payload(user=LEARNER, value="yes", channel="D0L", message_ts="1700.1")

    inbound = action_to_inbound(payload, received_at=AT)

    assert inbound == Inbound(
        identity=Identity("slack", LEARNER),
        event_id=payload["trigger_id"],
        received_at=AT,
        choice="yes",
        reply_to="D0L:1700.1",
    )


@pytest.mark.parametrize(("channel", "in_room"), [("C0COACHES", True), ("G0PRIVATE", True), ("D0L", False)])
def test_a_click_in_a_channel_is_in_a_room(channel: str, in_room: bool) -> None:
    payload = block_actions_payload(user="U0COACH", value="claim:1", channel=channel, message_ts="1700.1")

    inbound = action_to_inbound(payload, received_at=AT)

    assert inbound is not None
    assert (inbound.identity, inbound.in_room, inbound.reply_to) == (
        Identity("slack", "U0COACH"),
        in_room,
        f"{channel}:1700.1",
    )


def test_a_home_tab_click_names_no_message() -> None:
    payload = block_actions_payload(user=LEARNER, value="menu", channel="D0L", message_ts="1.1")
    payload["container"] = {"type": "view", "view_id": "V1"}

    inbound = action_to_inbound(payload, received_at=AT)

    assert inbound is not None
    assert (inbound.choice, inbound.reply_to, inbound.in_room) == ("menu", None, False)


def test_an_action_without_a_value_is_nothing() -> None:
    payload = block_actions_payload(user=LEARNER, value="x", channel="D0L", message_ts="1.1")
    del payload["actions"][0]["value"]

    assert action_to_inbound(payload, received_at=AT) is None


@pytest.mark.parametrize(
    ("text", "command_text"),
    [("menu", "/menu"), ("", "/menu"), ("  ", "/menu"), ("language en", "/language en"), ("/help", "/help")],
)
def test_the_slash_command(text: str, command_text: str) -> None:
    body = {"user_id": LEARNER, "trigger_id": "t-1", "text": text, "command": "/coach"}

    inbound = command_to_inbound(body, received_at=AT)

    assert (inbound.identity, inbound.event_id, inbound.text, inbound.in_room) == (
        Identity("slack", LEARNER),
        "t-1",
        command_text,
        False,
    )


def test_only_the_home_tab_counts_as_opening_the_home() -> None:
    home = event_envelope({"type": "app_home_opened", "user": LEARNER, "tab": "home"})
    messages = event_envelope({"type": "app_home_opened", "user": LEARNER, "tab": "messages"})

    assert (home_opened_user(home), home_opened_user(messages)) == (LEARNER, None)


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("zie <https://example.com|de site>", "zie de site (https://example.com)"),
        ("zie <https://example.com>", "zie https://example.com"),
        ("<mailto:a@example.com|a@example.com>", "a@example.com"),
        ("hoi <@U0COACH>", "hoi @U0COACH"),
        ("in <#C0GEN|algemeen>", "in #algemeen"),
        ("<!here> let op", "@here let op"),
        ("a &amp;lt; b &lt; c &gt; d", "a &lt; b < c > d"),
    ],
)
def test_slack_markup_back_to_plain_text(slack: str, plain: str) -> None:
    assert to_plain_text(slack) == plain
