"""What the bot waits for from a person: open prompts (bot/storage/models.py `Prompt`).

A message with buttons opens a choices prompt when it is written (an answer) or rendered (a
planned message); a message that asks for text (a reflection) opens a text prompt once the
person has it. The console has no buttons: each open choice gets a key, the smallest number not
held by another open choice of the person, so every open question stays answerable by typing
its number, whatever came after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.messages import Choice, Reply
from bot.storage.models import Prompt

CHOICES: Final = "choices"
TEXT: Final = "text"


async def open_prompts(session: AsyncSession, person_id: int, *, kind: str | None = None) -> list[Prompt]:
    """The person's open prompts, oldest first."""
    statement = select(Prompt).where(col(Prompt.person_id) == person_id, col(Prompt.closed_at).is_(None))
    if kind is not None:
        statement = statement.where(col(Prompt.kind) == kind)
    return list((await session.exec(statement.order_by(col(Prompt.id)))).all())


async def ask_choices(
    session: AsyncSession,
    *,
    person_id: int,
    delivery_key: str,
    reply: Reply,
    now: datetime,
    shown_again: str | None = None,
) -> Reply:
    """Open a choices prompt for `reply` (sent as the outbox row `delivery_key`) and return it
    with each choice's key. The same row asked twice (a send tried again) keeps its keys.

    `shown_again` is what /start shows of it later, by default the whole message; a message
    holding someone else's words (a coach's case post) keeps only its title here."""
    if not reply.choices:
        return reply
    # One read for both: this row's prompt (a send tried again) and the person's open ones.
    statement = select(Prompt).where(
        col(Prompt.person_id) == person_id,
        or_(col(Prompt.closed_at).is_(None), col(Prompt.delivery_key) == delivery_key),
    )
    known = (await session.exec(statement.order_by(col(Prompt.id)))).all()
    found = next((p for p in known if p.delivery_key == delivery_key and p.kind == CHOICES), None)
    if found is None:
        offered = {choice.value for choice in reply.choices}
        still_open = []
        for prompt in (prompt for prompt in known if prompt.closed_at is None):
            # The same button offered again (a new /menu): the newest message holds it.
            for superseded in answered([prompt], *offered, now=now, whole=False):
                session.add(superseded)
            if prompt.closed_at is None:
                still_open.append(prompt)
        held = {key for prompt in still_open for key in _keys(prompt)}
        keys = _free_keys(held, len(reply.choices))
        found = Prompt(
            person_id=person_id,
            delivery_key=delivery_key,
            kind=CHOICES,
            text=reply.text if shown_again is None else shown_again,
            choices=[[c.label, c.value, key] for c, key in zip(reply.choices, keys, strict=True)],
            opened_at=now,
        )
        session.add(found)
        await session.flush()
    return replace(reply, choices=choices_of(found))


async def ask_text(
    session: AsyncSession,
    *,
    person_id: int,
    delivery_key: str,
    text: str,
    purpose: dict[str, Any],
    now: datetime,
) -> Prompt:
    """Open a text prompt (once per asking message): free text the person types next answers it."""
    found = await _prompt_for(session, delivery_key, kind=TEXT)
    if found is not None:
        return found
    prompt = Prompt(
        person_id=person_id, delivery_key=delivery_key, kind=TEXT, text=text, purpose=purpose, opened_at=now
    )
    session.add(prompt)
    await session.flush()
    return prompt


def choices_of(prompt: Prompt) -> tuple[Choice, ...]:
    return tuple(Choice(label=label, value=value, key=key) for label, value, key in prompt.choices)


def find_choice(prompts: Sequence[Prompt], typed: str) -> Choice | None:
    """The open choice whose key is `typed`, or else whose label it is (ignoring case)."""
    choices = [choice for prompt in prompts for choice in choices_of(prompt)]
    by_key = next((choice for choice in choices if choice.key == typed), None)
    if by_key is not None:
        return by_key
    labelled = [choice for choice in choices if choice.label.casefold() == typed.casefold()]
    return labelled[-1] if labelled else None  # the newest question asking it


def answered(prompts: Sequence[Prompt], *values: str, now: datetime, whole: bool) -> list[Prompt]:
    """Take the choices `values` out of the prompts that offer them, or close those prompts
    (`whole`: a question has one answer); the prompts changed, for the session to add."""
    changed = []
    for prompt in prompts:
        if not any(choice[1] in values for choice in prompt.choices):
            continue
        prompt.choices = [] if whole else [choice for choice in prompt.choices if choice[1] not in values]
        if not prompt.choices:
            close(prompt, now=now)
        changed.append(prompt)
    return changed


def close(prompt: Prompt, *, now: datetime) -> None:
    """Nothing more is awaited: the asking text goes (it may hold the person's scores)."""
    prompt.closed_at = now
    prompt.text = ""


async def _prompt_for(session: AsyncSession, delivery_key: str, *, kind: str = CHOICES) -> Prompt | None:
    statement = select(Prompt).where(col(Prompt.delivery_key) == delivery_key, col(Prompt.kind) == kind)
    return (await session.exec(statement)).first()


def _keys(prompt: Prompt) -> list[str]:
    return [choice[2] for choice in prompt.choices]


def _free_keys(held: set[str], count: int) -> list[str]:
    keys: list[str] = []
    number = 1
    while len(keys) < count:
        if str(number) not in held:
            keys.append(str(number))
        number += 1
    return keys
