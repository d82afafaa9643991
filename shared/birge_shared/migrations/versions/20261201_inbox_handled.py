"""The coordinators' inbox: an inbound text can be marked handled, by whom and when.

Inbound texts Birge did not understand, opt-outs and texts from unknown numbers are listed
for coordinators; `handled_at` and `handled_by_id` record that one was dealt with. The index
serves the inbox's newest-first listing by direction and purpose.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "handled_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("handled_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_message_handled_by_id_app_user"),
            "app_user",
            ["handled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_message_inbox", ["direction", "purpose", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_inbox")
        batch_op.drop_constraint(
            batch_op.f("fk_message_handled_by_id_app_user"), type_="foreignkey"
        )
        batch_op.drop_column("handled_by_id")
        batch_op.drop_column("handled_at")
