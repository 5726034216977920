"""Invite tokens: personal, single-use, expiring join links for chats that carry no e-mail.

Only a token's SHA-256 is stored. A token is therefore shown once, when it is issued; issuing
new tokens for an enrolment withdraws its earlier unused ones, so only the newest link works.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Invite

__all__ = ["Invite", "find", "issue", "token_hash"]

TOKEN_BYTES = 16  # 22 URL-safe characters: fits Telegram's 64-character start parameter


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, *, enrolment_id: int, now: datetime, expires_at: datetime) -> str:
    """A new token for the enrolment (its earlier unused ones stop working)."""
    await session.exec(
        delete(Invite).where(col(Invite.enrolment_id) == enrolment_id, col(Invite.used_at).is_(None))
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        Invite(token_hash=token_hash(token), enrolment_id=enrolment_id, expires_at=expires_at, created_at=now)
    )
    return token


async def find(session: AsyncSession, token: str) -> Invite | None:
    """The invite of a token, used or not, expired or not; None for a token never issued."""
    statement = select(Invite).where(Invite.token_hash == token_hash(token)).with_for_update()
    return (await session.exec(statement)).first()
