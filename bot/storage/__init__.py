"""Persistence: SQLModel tables, the database and its migrations, repositories and the outbox.

The only package that imports sqlmodel/sqlalchemy. Flows use the table classes as plain
records and the repository functions for queries.
"""
