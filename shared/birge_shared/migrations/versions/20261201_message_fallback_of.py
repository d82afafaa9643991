"""A message planned on the person's next channel names the message it replaces.

`message.fallback_of_id` is the message refused for good (or skipped because its channel was
switched off) that this one was planned in place of, on the next channel in the person's
order; the console and the API show what a message fell back from.

Revision ID: 0035
Revises: 0032
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("fallback_of_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_message_fallback_of_id_message"),
            "message",
            ["fallback_of_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_constraint(batch.f("fk_message_fallback_of_id_message"), type_="foreignkey")
        batch.drop_column("fallback_of_id")
