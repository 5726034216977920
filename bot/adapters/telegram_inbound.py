"""Telegram updates -> the core's events: the one place that reads update JSON.

A private chat's identity is the chat id (equal to the person's user id); in a group, the
identity is the group and the sender only appears as `display_name`. Service messages (someone
joined, the title changed) are nobody talking to the coach and become nothing, except a group's
move to a supergroup, which becomes a `MembershipChange`.
"""

from __future__ import annotations

from datetime import datetime

from telegram import CallbackQuery, ChatMember, ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus

from bot.domain.messages import Identity, Inbound, MembershipChange

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
"""The update kinds the bot asks Telegram for; everything else is never delivered."""

_PRESENT = {
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
}


def telegram_identity(chat_id: int) -> Identity:
    """The identity of a Telegram chat (a person's private chat, or a group)."""
    return Identity("telegram", str(chat_id))


def translate(update: Update, *, received_at: datetime) -> Inbound | MembershipChange | None:
    """The core's event for one update, or None when it is nothing the core acts on."""
    event_id = str(update.update_id)
    if update.callback_query is not None:
        return _pressed(update.callback_query, event_id=event_id, received_at=received_at)
    if update.my_chat_member is not None:
        return _membership(update.my_chat_member, event_id=event_id, received_at=received_at)
    if update.message is not None:
        return _message(update.message, event_id=event_id, received_at=received_at)
    return None


def _message(message: Message, *, event_id: str, received_at: datetime) -> Inbound | MembershipChange | None:
    if message.migrate_to_chat_id is not None:
        return MembershipChange(
            identity=telegram_identity(message.chat.id),
            event_id=event_id,
            received_at=received_at,
            kind="moved",
            moved_to=telegram_identity(message.migrate_to_chat_id),
        )
    text = message.text if message.text is not None else message.caption
    if text is None and message.effective_attachment is None:
        return None  # a service message
    sender = message.from_user
    return Inbound(
        identity=telegram_identity(message.chat.id),
        event_id=event_id,
        received_at=received_at,
        text=text or "",
        display_name=sender.first_name if sender is not None else message.chat.first_name,
    )


def _pressed(query: CallbackQuery, *, event_id: str, received_at: datetime) -> Inbound | None:
    if query.message is None:
        return None  # a button under an inline-mode message, which the bot never sends
    return Inbound(
        identity=telegram_identity(query.message.chat.id),
        event_id=event_id,
        received_at=received_at,
        choice=query.data or "",
        reply_to=str(query.message.message_id),
        display_name=query.from_user.first_name,
    )


def _membership(
    change: ChatMemberUpdated, *, event_id: str, received_at: datetime
) -> MembershipChange | None:
    was_present, is_present = _present(change.old_chat_member), _present(change.new_chat_member)
    if was_present == is_present:
        return None  # e.g. promoted to administrator: nothing changes for sending
    return MembershipChange(
        identity=telegram_identity(change.chat.id),
        event_id=event_id,
        received_at=received_at,
        kind="unblocked" if is_present else "blocked",
    )


def _present(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _PRESENT
