"""Alembic migrations of Coachbot's tables, applied by `bot.storage.db.Database.migrate`."""
