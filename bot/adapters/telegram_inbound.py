"""Telegram updates -> the core's events: the one place that reads update JSON.

The identity is always the person who wrote or pressed: in a private chat the chat id (equal
to the person's user id), in a group or supergroup the sender's user id (the id of their private
chat with the bot), with `in_room=True`. A group message sent on behalf of a chat (an anonymous
admin, a linked channel) has no person behind it and becomes nothing.

Message ids (`Inbound.reply_to`, `SendReceipt.platform_message_id`) are `<chat id>:<message id>`:
a Telegram message id is only unique within its chat. A press names the message it was under, a
text the message it replies to (a Telegram reply), if any. A photo or file sets `attachment`,
its caption is the text. Service messages (someone joined, the title changed) are nobody talking
to the coach and become nothing, except a group's move to a supergroup, which becomes a
`MembershipChange`.
"""

from __future__ import annotations

from datetime import datetime

from telegram import CallbackQuery, Chat, ChatMember, ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.domain.messages import Identity, Inbound, MembershipChange

ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
"""The update kinds the bot asks Telegram for; everything else is never delivered."""

_ROOMS = {ChatType.GROUP, ChatType.SUPERGROUP}
_PRESENT = {
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
}


def telegram_identity(chat_id: int) -> Identity:
    """The identity of a Telegram chat (a person's private chat, or a group)."""
    return Identity("telegram", str(chat_id))


def message_id(chat_id: int, message_id: int) -> str:
    """The `<chat id>:<message id>` id of one Telegram message."""
    return f"{chat_id}:{message_id}"


def parse_message_id(platform_message_id: str) -> tuple[int, int]:
    """(chat id, message id) of a `message_id`; `ValueError` for anything else."""
    chat, separator, message = platform_message_id.rpartition(":")
    if not separator:
        raise ValueError(f"not a Telegram message id: {platform_message_id!r}")
    return int(chat), int(message)


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
    attachment = message.effective_attachment is not None
    if text is None and not attachment:
        return None  # a service message
    sender = message.from_user
    in_room = _is_room(message.chat)
    if in_room and (sender is None or message.sender_chat is not None):
        return None  # written on behalf of a chat: no person to attribute it to
    answered = message.reply_to_message
    return Inbound(
        identity=telegram_identity(sender.id if in_room and sender is not None else message.chat.id),
        event_id=event_id,
        received_at=received_at,
        text=text or "",
        reply_to=message_id(answered.chat.id, answered.message_id) if answered is not None else None,
        display_name=sender.first_name if sender is not None else message.chat.first_name,
        in_room=in_room,
        attachment=attachment,
        handle=sender.username if sender is not None else message.chat.username,
    )


def _pressed(query: CallbackQuery, *, event_id: str, received_at: datetime) -> Inbound | None:
    if query.message is None:
        return None  # a button under an inline-mode message, which the bot never sends
    chat = query.message.chat
    in_room = _is_room(chat)
    return Inbound(
        identity=telegram_identity(query.from_user.id if in_room else chat.id),
        event_id=event_id,
        received_at=received_at,
        choice=query.data or "",
        reply_to=message_id(chat.id, query.message.message_id),
        display_name=query.from_user.first_name,
        in_room=in_room,
        handle=query.from_user.username,
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


def _is_room(chat: Chat) -> bool:
    return chat.type in _ROOMS


def _present(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _PRESENT
