"""Slack payloads -> `Inbound`, and the addressing conventions of the Slack adapter. Pure.

Addresses (an `Identity.external_id` on platform "slack"):
- `U…`/`W…`, a user id: their direct-message channel (opened with `conversations.open`);
- `C…`, `G…` or `D…`, a conversation id: post to that channel;
- `C…/1700000000.000100`, a conversation id and a thread's `ts`: post into that thread.

Message ids (`SendReceipt.platform_message_id`, `Inbound.reply_to`) are `<channel>:<ts>`, the
pair that identifies a Slack message.

Translation rules (adapters never decide; these only say what is a person's message):
- a message becomes `Inbound(text=…)` with the envelope's `event_id`; the identity is always the
  user who wrote it. One in a channel (not the person's DM with the bot) has `in_room=True`;
  one in a thread has `reply_to="<channel>:<thread ts>"`, the id of the thread's first message
  (a coach answering in the thread of a case post answers that post). A shared file sets
  `attachment` (the text is the message's text, if any);
- edits, deletions, joins and other bots' posts are not a person's message: they become nothing;
- a button click becomes `Inbound(choice=value, reply_to="<channel>:<message ts>")`, with
  `in_room=True` when the message is in a channel; a click on the App Home has `reply_to=None`
  (the Home is always current), event id = the `trigger_id`;
- `/coach <text>` becomes `Inbound(text="/<text>")`, a bare `/coach` becomes "/menu": it is
  addressed to the bot wherever it was typed, so never `in_room`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.messages import Identity, Inbound

PERSON_MESSAGE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
BARE_COMMAND_TEXT = "/menu"

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CONVERSATION_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_ROOM_ID = re.compile(r"^[CG][A-Z0-9]+$")  # a channel or private channel; D… is a DM
_THREAD_TS = re.compile(r"^\d+\.\d+$")
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message goes: a user (their DM) or a channel, optionally a thread in it."""

    user: str | None = None
    channel: str | None = None
    thread_ts: str | None = None


def parse_address(external_id: str) -> Address:
    """Read an address in the conventions above; `ValueError` for anything else."""
    target, _, thread_ts = external_id.partition("/")
    if thread_ts and not _THREAD_TS.match(thread_ts):
        raise ValueError(f"not a Slack thread ts: {thread_ts!r}")
    if _USER_ID.match(target) and not thread_ts:
        return Address(user=target)
    if _CONVERSATION_ID.match(target):
        return Address(channel=target, thread_ts=thread_ts or None)
    raise ValueError(f"not a Slack user or conversation id: {target!r}")


def message_id(channel: str, ts: str) -> str:
    """The `<channel>:<ts>` id of one Slack message."""
    return f"{channel}:{ts}"


def parse_message_id(platform_message_id: str) -> tuple[str, str]:
    """(channel, ts) of a `message_id`; `ValueError` for anything else."""
    channel, _, ts = platform_message_id.partition(":")
    if not _CONVERSATION_ID.match(channel) or not _THREAD_TS.match(ts):
        raise ValueError(f"not a Slack message id: {platform_message_id!r}")
    return channel, ts


def thread_address(channel: str, thread_ts: str) -> str:
    """The address that posts into a thread."""
    return f"{channel}/{thread_ts}"


def message_to_inbound(
    body: Mapping[str, Any], *, received_at: datetime, bot_user_id: str | None
) -> Inbound | None:
    """An Events API `message` envelope as an Inbound, or None when it is not a person's message."""
    event = body.get("event") or {}
    user = event.get("user")
    if (
        event.get("subtype") not in PERSON_MESSAGE_SUBTYPES
        or event.get("bot_id")
        or not isinstance(user, str)
        or user == bot_user_id  # our own posts echo back as events; they are not input
    ):
        return None
    channel, thread_ts = str(event.get("channel", "")), event.get("thread_ts")
    in_thread = isinstance(thread_ts, str) and thread_ts != event.get("ts")
    return Inbound(
        identity=Identity("slack", user),
        event_id=str(body["event_id"]),
        received_at=received_at,
        text=to_plain_text(str(event.get("text") or "")),
        reply_to=message_id(channel, str(thread_ts)) if in_thread else None,
        in_room=event.get("channel_type") != "im",
        attachment=bool(event.get("files")) or event.get("subtype") == "file_share",
    )


def action_to_inbound(body: Mapping[str, Any], *, received_at: datetime) -> Inbound | None:
    """A `block_actions` payload as a choice, or None for an action without a value (a link)."""
    actions = body.get("actions") or []
    value = actions[0].get("value") if actions else None
    user = (body.get("user") or {}).get("id")
    if not isinstance(value, str) or not isinstance(user, str):
        return None
    return Inbound(
        identity=Identity("slack", user),
        event_id=_action_event_id(body, actions[0]),
        received_at=received_at,
        choice=value,
        reply_to=clicked_message_id(body),
        in_room=_is_room((body.get("container") or {}).get("channel_id")),
    )


def clicked_message_id(body: Mapping[str, Any]) -> str | None:
    """`<channel>:<ts>` of the message whose button was pressed; None on the App Home."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if container.get("type") != "message" or not channel or not ts:
        return None
    return message_id(str(channel), str(ts))


def command_to_inbound(body: Mapping[str, Any], *, received_at: datetime) -> Inbound:
    """A `/coach <text>` slash command as the text command "/<text>"."""
    text = to_plain_text(str(body.get("text") or "")).strip()
    return Inbound(
        identity=Identity("slack", str(body["user_id"])),
        event_id=str(body["trigger_id"]),
        received_at=received_at,
        text=f"/{text.removeprefix('/')}" if text else BARE_COMMAND_TEXT,
    )


def home_opened_user(body: Mapping[str, Any]) -> str | None:
    """The user who opened the Home tab (not the Messages or About tab), if any."""
    event = body.get("event") or {}
    user = event.get("user")
    return user if event.get("tab") == "home" and isinstance(user, str) else None


def dm_channel_of(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """(user, channel) of a direct message event, so the adapter can skip `conversations.open`."""
    event = body.get("event") or {}
    user, channel = event.get("user"), event.get("channel")
    if event.get("channel_type") == "im" and isinstance(user, str) and isinstance(channel, str):
        return user, channel
    return None


def to_plain_text(slack_text: str) -> str:
    """Slack's message markup back to plain text: `<url|label>` -> "label (url)", `<@U1>` ->
    "@U1", `<#C1|general>` -> "#general", and `&amp;`/`&lt;`/`&gt;` unescaped."""
    text = _SLACK_LINK.sub(_plain_link, slack_text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain_link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("@", "#")):
        return f"#{label}" if target.startswith("#") and label else target
    if target.startswith("!"):
        return f"@{label or target[1:].split('^')[0]}"
    if not label:
        return target.removeprefix("mailto:")
    bare = target.removeprefix("mailto:")
    return label if label in (target, bare) else f"{label} ({bare})"


def _is_room(channel: object) -> bool:
    return isinstance(channel, str) and _ROOM_ID.match(channel) is not None


def _action_event_id(body: Mapping[str, Any], action: Mapping[str, Any]) -> str:
    # trigger_id is unique per click and part of the payload, so a redelivery keeps it.
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return trigger
    container = body.get("container") or {}
    return f"{container.get('message_ts', '')}:{action.get('action_ts', '')}"
