"""Storage tests run on SQLite and, when `COACHBOT_TEST_POSTGRES_URL` is set, on PostgreSQL."""

from tests.fakes.databases import database, database_url  # noqa: F401  (fixtures)
