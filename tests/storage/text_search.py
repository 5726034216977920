"""`find_text`: where in the database a piece of text is stored, for tests that a person's
words are kept in one place only (a reflection in `responses.text`, not in a sent reply)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, TypeDecorator
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel, select

from bot.storage.db import Database


async def find_text(database: Database, needle: str) -> list[tuple[str, str]]:
    """Every (table, column), sorted, of a string or JSON column in which some row holds
    `needle`: in a string, or in any key or string value of a JSON document at any depth.
    Reads every row: for test databases."""
    found: list[tuple[str, str]] = []
    async with database.transaction() as session:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if _textual(column.type):
                    values = (await session.exec(select(column))).all()
                    if any(_holds(value, needle) for value in values):
                        found.append((table.name, column.name))
    return sorted(found)


def _textual(kind: TypeEngine[Any]) -> bool:
    if isinstance(kind, TypeDecorator):  # SQLModel's AutoString
        kind = kind.impl_instance
    return isinstance(kind, String | JSON)


def _holds(value: object, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value
    if isinstance(value, dict):
        return any(_holds(key, needle) or _holds(item, needle) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds(item, needle) for item in value)
    return False
