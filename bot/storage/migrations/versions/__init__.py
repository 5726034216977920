"""One module per migration, oldest first; Alembic reads them (this file it skips)."""
