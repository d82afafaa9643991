"""An event's own answer deadline: invitations to it expire then rather than by the settings.

Optional, and always before the start. Events made before this revision follow the settings.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-01 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "answer_by", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_check_constraint(
            "answer_by_before_start", "answer_by IS NULL OR answer_by < starts_at"
        )


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        # The CHECK goes first: SQLite's table copy would otherwise keep it without its column.
        batch_op.drop_constraint(op.f("ck_event_answer_by_before_start"), type_="check")
        batch_op.drop_column("answer_by")
