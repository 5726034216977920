"""personal data cascades: deleting a person deletes what is theirs (identities, cohort
memberships, enrolments and, through them, deliveries, progress, responses and invites) and
empties the manager link of the enrolments they managed (bot/storage/personal_data.py)

The foreign keys of 0001 and 0002 have no names on SQLite and PostgreSQL's default names
(`<table>_<column>_fkey`) there. Batch mode reflects SQLite's tables with a naming convention
that gives them those same names, so one name drops and re-creates each key on both. SQLite
rebuilds each table (copy, drop, rename): `Database.migrate` runs migrations on SQLite with
foreign keys off, or dropping the old `enrolments` would delete or refuse its children's rows.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL's own name for an unnamed foreign key, given to SQLite's when batch mode reflects them.
_NAMES = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}

# table -> (column, referred table, ON DELETE)
_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "identities": [("person_id", "persons", "CASCADE")],
    "cohort_members": [("person_id", "persons", "CASCADE")],
    "enrolments": [("person_id", "persons", "CASCADE"), ("manager_id", "persons", "SET NULL")],
    "deliveries": [("person_id", "persons", "CASCADE"), ("enrolment_id", "enrolments", "CASCADE")],
    "progress": [("enrolment_id", "enrolments", "CASCADE")],
    "responses": [("enrolment_id", "enrolments", "CASCADE")],
    "invites": [("enrolment_id", "enrolments", "CASCADE")],
}


def _replace_keys(*, erase: bool) -> None:
    for table, keys in _KEYS.items():
        with op.batch_alter_table(table, naming_convention=_NAMES) as batch_op:
            for column, referred, ondelete in keys:
                name = f"{table}_{column}_fkey"
                batch_op.drop_constraint(name, type_="foreignkey")
                batch_op.create_foreign_key(
                    name, referred, [column], ["id"], ondelete=ondelete if erase else None
                )


def upgrade() -> None:
    _replace_keys(erase=True)


def downgrade() -> None:
    _replace_keys(erase=False)
