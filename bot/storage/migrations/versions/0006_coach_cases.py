"""coach cases: a learner's request for a human coach (coach_cases) and its relayed messages
(case_messages); cohorts get the coaches' room per platform and the hours within which a coach
claims a case; cohort_members mark the lead coach; invites may be for a coach or manager
(person_id) instead of an enrolment.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = bot.storage.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("cohorts") as batch_op:
        batch_op.add_column(sa.Column("coach_room", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("coach_response_hours", sa.Float(), nullable=False, server_default="4"))
    with op.batch_alter_table("cohort_members") as batch_op:
        batch_op.add_column(sa.Column("lead", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("invites") as batch_op:
        batch_op.alter_column("enrolment_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_invites_person_id_persons", "persons", ["person_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_invites_person_id", ["person_id"])
    op.create_table(
        "coach_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.String(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("shares_reflections", sa.Boolean(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", _MOMENT(), nullable=False),
        sa.Column("claimed_at", _MOMENT(), nullable=True),
        sa.Column("first_answer_at", _MOMENT(), nullable=True),
        sa.Column("closed_at", _MOMENT(), nullable=True),
        sa.Column("closed_by", sa.String(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("coaches_chased_at", _MOMENT(), nullable=True),
        sa.Column("lead_told_at", _MOMENT(), nullable=True),
        sa.Column("coach_chased_at", _MOMENT(), nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coach_id"], ["persons.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_coach_cases_cohort_id", "coach_cases", ["cohort_id"])
    op.create_index("ix_coach_cases_person_id", "coach_cases", ["person_id"])
    op.create_index("ix_coach_cases_status", "coach_cases", ["status"])
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_role", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("written_at", _MOMENT(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["coach_cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["persons.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_messages_case_id", "case_messages", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_messages_case_id", table_name="case_messages")
    op.drop_table("case_messages")
    for index in ("status", "person_id", "cohort_id"):
        op.drop_index(f"ix_coach_cases_{index}", table_name="coach_cases")
    op.drop_table("coach_cases")
    op.execute("DELETE FROM invites WHERE enrolment_id IS NULL")
    with op.batch_alter_table("invites") as batch_op:
        batch_op.drop_index("ix_invites_person_id")
        batch_op.drop_constraint("fk_invites_person_id_persons", type_="foreignkey")
        batch_op.drop_column("person_id")
        batch_op.alter_column("enrolment_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("cohort_members") as batch_op:
        batch_op.drop_column("lead")
    with op.batch_alter_table("cohorts") as batch_op:
        batch_op.drop_column("coach_response_hours")
        batch_op.drop_column("coach_room")
