"""Claiming due rows: what is sendable, in which order, and never twice, also concurrently."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.storage import outbox
from bot.storage.db import Database
from tests.storage.seed import NOW, Learner


async def _enqueue(
    db: Database,
    learner: Learner | None,
    key: str,
    *,
    due_at: datetime = NOW,
    kind: str = "intervention",
    with_enrolment: bool = True,
    to: tuple[str, str] | None = None,
) -> None:
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            key=key,
            person_id=learner.person_id if learner else None,
            enrolment_id=learner.enrolment_id if learner and with_enrolment else None,
            kind=kind,
            due_at=due_at,
            payload={"to": list(to)} if to else None,
            now=NOW,
        )


async def _claimed_keys(db: Database, **options: object) -> list[str]:
    return [row.key for row in await outbox.claim_due(db, now=NOW, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "claimed"),
    [
        ({}, True),
        ({"active": False}, False),
        ({"paused": True}, False),
        ({"removed": True}, False),
        ({"blocked": ("console",)}, False),
    ],
)
async def _claim_all(db: Database) -> list[int]:
    ids: list[int] = []
    while claimed := await outbox.claim_due(db, now=NOW, limit=7):
        ids += [row.id or 0 for row in claimed]
    return ids


async def _plan(database: Database, statement: str, parameters: Any) -> str:
    """The query plan of `statement`; on PostgreSQL with sequential scans off, because on a table
    this small the planner would rightly prefer reading it whole."""
    async with database.transaction() as session:
        connection = await session.connection()
        if database.dialect == "postgresql":
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        else:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
