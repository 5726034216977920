"""identities keep the account's public handle where the platform has one (a Telegram
@username): a peer-feedback introduction names the partner by it.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identities") as batch_op:
        batch_op.add_column(sa.Column("handle", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identities") as batch_op:
        batch_op.drop_column("handle")
