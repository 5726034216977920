"""peer-feedback rounds: a cohort's round per peer-feedback step (peer_rounds) and what each
member gives another (peer_feedback); enrolments get the roster's team and the learner's
opt-out of rounds; a coach case may be a report of peer feedback.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = bot.storage.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("peers_off", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("coach_cases") as batch_op:
        batch_op.add_column(sa.Column("peer_feedback_id", sa.Integer(), nullable=True))
    op.create_table(
        "peer_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("cohort_id", sa.String(), nullable=False),
        sa.Column("intervention_id", sa.String(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("started_at", _MOMENT(), nullable=False),
        sa.Column("closes_at", _MOMENT(), nullable=False),
        sa.Column("reminded_at", _MOMENT(), nullable=True),
        sa.Column("closed_at", _MOMENT(), nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_peer_rounds_cohort_id", "peer_rounds", ["cohort_id"])
    op.create_table(
        "peer_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("group_no", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("given_at", _MOMENT(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("thanks", sa.String(), nullable=True),
        sa.Column("reported_at", _MOMENT(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["peer_rounds.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["giver_id"], ["persons.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["receiver_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "giver_id", "receiver_id"),
    )
    for column in ("round_id", "giver_id", "receiver_id"):
        op.create_index(f"ix_peer_feedback_{column}", "peer_feedback", [column])


def downgrade() -> None:
    for column in ("receiver_id", "giver_id", "round_id"):
        op.drop_index(f"ix_peer_feedback_{column}", table_name="peer_feedback")
    op.drop_table("peer_feedback")
    op.drop_index("ix_peer_rounds_cohort_id", table_name="peer_rounds")
    op.drop_table("peer_rounds")
    with op.batch_alter_table("coach_cases") as batch_op:
        batch_op.drop_column("peer_feedback_id")
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.drop_column("peers_off")
        batch_op.drop_column("team")
