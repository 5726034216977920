"""Storage tests run on SQLite and, when `COACHBOT_TEST_POSTGRES_URL` is set, on PostgreSQL."""

from tests.fakes.databases import (  # noqa: F401  (fixtures)
    database,
    database_url,
    dialect,
    migrated_database_url,
    migration_template,
    postgresql_template,
    sqlite_template,
)
