"""deliveries are found by the platform message they became: a coach's reply in a Slack thread
or to a Telegram message names the message it answers, and the core looks up which case that
message belongs to.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_deliveries_platform_message", "deliveries", ["platform", "platform_message_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_platform_message", table_name="deliveries")
