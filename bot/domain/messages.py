"""Immutable, platform-neutral messages. Adapters translate platform events into `Inbound`
and `Outbound` into platform calls; flows only ever see these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Platform = Literal["console", "telegram", "slack", "email"]
MembershipKind = Literal["blocked", "unblocked", "moved"]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who someone is on one platform: a console e-mail, a Telegram chat id, a Slack user id."""

    platform: Platform
    external_id: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A button. `value` comes back in `Inbound.choice` when pressed; `label` is shown.

    `key` is what a person types to choose it where there are no buttons (the console: "2"):
    the core numbers the open choices of a person so that every open one has its own key."""

    label: str
    value: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A message the core wants sent: Markdown text, optional buttons and images."""

    text: str
    choices: tuple[Choice, ...] = ()
    images: tuple[str, ...] = ()
    replaces: str | None = None  # a platform message id of ours that this message replaces (an edit)


@dataclass(frozen=True, slots=True)
class Inbound:
    """Something a person did: typed text, a /command, or pressed a choice.

    `event_id` is the platform's id for the event (Telegram update id, Slack event id,
    a console counter); (platform, event_id) is unique, so a redelivered event is handled once.
    `reply_to` is the platform message id (as in `SendReceipt`) of the message this event
    answers: the message whose button was pressed, or the one a text replies to (a Telegram
    reply, the first message of a Slack thread). `in_room` says it was written in a group or
    channel rather than the person's own chat with the bot: the `identity` is still the person
    who wrote it, and the core acts there only on what is addressed to it (a press, an answer to
    one of its messages). `attachment` says a photo or file came with it (its caption, if any,
    is the `text`); the core passes on only text.
    `typed_key` is a choice's key typed where there are no buttons (the console): the core
    looks it up among the person's open choices. `handle` is the writer's public name on the
    platform where it has one (a Telegram @username, without the @); the core keeps the latest.
    """

    identity: Identity
    event_id: str
    received_at: datetime
    text: str = ""
    choice: str | None = None
    reply_to: str | None = None
    display_name: str | None = None
    typed_key: str | None = None
    in_room: bool = False
    attachment: bool = False
    handle: str | None = None

    @property
    def command(self) -> tuple[str, str] | None:
        """`("menu", "")` for "/menu", `("language", "en")` for "/language en", else None."""
        stripped = self.text.strip()
        if not stripped.startswith("/") or len(stripped) < 2:
            return None
        name, _, argument = stripped[1:].partition(" ")
        return name.split("@", 1)[0].lower(), argument.strip()


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to one person. `text` is Markdown; adapters render it for their platform.

    `images` are local file paths named by the program's Markdown; `choices` become buttons.
    `delivery_key` is the outbox key, unique per message, for idempotent sends.
    `replaces` is the platform message id (a `SendReceipt`'s) of a message the bot sent before:
    the adapter edits that message to read as this one (a case post that became "claimed by
    Carla"); an adapter that cannot edit sends it as a new message.
    """

    recipient: Identity
    text: str
    delivery_key: str
    choices: tuple[Choice, ...] = ()
    images: tuple[str, ...] = ()
    replaces: str | None = None
    sent_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """What the platform said about a sent message: its id there, for later edits and to
    recognise answers to it. The id names the message on its whole platform (Slack
    `<channel>:<ts>`, Telegram `<chat id>:<message id>`), so it alone finds the message."""

    platform_message_id: str


@dataclass(frozen=True, slots=True)
class InboundAck:
    """The core's answer to an inbound event, so an adapter can acknowledge it on its platform.

    `accepted` is False for a duplicate or a press on an old keyboard; `notice` is a short text
    for the platform's acknowledgement (Telegram's answerCallbackQuery), `chosen_label` the label
    an adapter may show in place of the buttons of the message that was answered.
    """

    accepted: bool
    notice: str | None = None
    chosen_label: str | None = None


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """The bot's standing in a chat changed: the person blocked or unblocked it, the bot was
    removed from or added to a group, or a group moved to a new id (`moved_to`).

    `event_id` is the platform's id for the event, unique together with the platform, like
    `Inbound.event_id`, so a redelivered change is applied once.
    """

    identity: Identity
    event_id: str
    received_at: datetime
    kind: MembershipKind
    moved_to: Identity | None = None


MembershipHandler = Callable[[MembershipChange], Awaitable[None]]
