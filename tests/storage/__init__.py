"""Storage tests: the database, migrations, outbox and event dedupe, on SQLite and PostgreSQL."""
