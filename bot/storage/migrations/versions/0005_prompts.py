"""prompts: what the bot waits for from a person (buttons to press, text to type), durable and
shared by every platform; it replaces enrolments.awaiting (one awaited reflection, overwritten
by the next). An awaited reflection becomes an open text prompt. deliveries gets an index on
(kind, status, due_at): the dispatcher claims urgent kinds (answers) before everything else.

Revision ID: 0005
Revises: 0004
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    prompts = op.create_table(
        "prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("delivery_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.JSON(), nullable=False),
        sa.Column("opened_at", bot.storage.types.UTCDateTime(), nullable=False),
        sa.Column("closed_at", bot.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_prompts_person_id", "prompts", ["person_id"])
    op.create_index("ix_prompts_delivery_key", "prompts", ["delivery_key"])
    op.bulk_insert(prompts, _awaited_reflections())
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.drop_column("awaiting")
    op.create_index("ix_deliveries_kind_status_due_at", "deliveries", ["kind", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_kind_status_due_at", table_name="deliveries")
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.add_column(sa.Column("awaiting", sa.JSON(), nullable=False, server_default="{}"))
    op.drop_index("ix_prompts_delivery_key", table_name="prompts")
    op.drop_index("ix_prompts_person_id", table_name="prompts")
    op.drop_table("prompts")


def _awaited_reflections() -> list[dict[str, object]]:
    """Each enrolment's awaited reflection, as an open text prompt."""
    rows = op.get_bind().execute(sa.text("SELECT id, person_id, awaiting FROM enrolments")).all()
    now = datetime.now(UTC)
    prompts = []
    for enrolment_id, person_id, awaiting in rows:
        awaited = json.loads(awaiting) if isinstance(awaiting, str) else awaiting
        if not awaited or "intervention" not in awaited:
            continue
        purpose = {
            "reflection": awaited["intervention"],
            "occurrence": awaited.get("occurrence", ""),
            "enrolment": enrolment_id,
        }
        prompts.append(
            {
                "person_id": person_id,
                "delivery_key": f"awaiting:{enrolment_id}",
                "kind": "text",
                "text": "",
                "choices": [],
                "purpose": purpose,
                "opened_at": now,
                "closed_at": None,
            }
        )
    return prompts
