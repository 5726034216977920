"""Invite tokens: personal, single-use, expiring join links for chats that carry no e-mail.

A learner's token is for their enrolment; a coach's or manager's for the person (they have no
enrolment). Only a token's SHA-256 is stored. A token is therefore shown once, when it is
issued; issuing new tokens for an enrolment, or for a coach or manager, withdraws the earlier
unused ones, so only the newest link works.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ColumnElement, delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Invite

__all__ = ["Invite", "find", "issue", "issue_for_person", "token_hash"]

TOKEN_BYTES = 16  # 22 URL-safe characters: fits Telegram's 64-character start parameter


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, *, enrolment_id: int, now: datetime, expires_at: datetime) -> str:
    """A new token for the enrolment's learner (its earlier unused ones stop working)."""
    await _withdraw(session, col(Invite.enrolment_id) == enrolment_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        Invite(token_hash=token_hash(token), enrolment_id=enrolment_id, expires_at=expires_at, created_at=now)
    )
    return token


async def issue_for_person(
    session: AsyncSession, *, person_id: int, now: datetime, expires_at: datetime
) -> str:
    """A new token for a coach or manager, who joins as a person, not as a cohort's learner
    (their earlier unused ones stop working, whichever cohort they were issued for)."""
    await _withdraw(session, col(Invite.person_id) == person_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        Invite(token_hash=token_hash(token), person_id=person_id, expires_at=expires_at, created_at=now)
    )
    return token


async def _withdraw(session: AsyncSession, whose: ColumnElement[bool]) -> None:
    """Delete the unused invites `whose` selects: their links stop working."""
    await session.exec(delete(Invite).where(whose, col(Invite.used_at).is_(None)))


async def find(session: AsyncSession, token: str) -> Invite | None:
    """The invite of a token, used or not, expired or not; None for a token never issued."""
    statement = select(Invite).where(Invite.token_hash == token_hash(token)).with_for_update()
    return (await session.exec(statement)).first()
