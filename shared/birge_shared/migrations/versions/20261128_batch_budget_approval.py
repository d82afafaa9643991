"""Invitation batches held over a city's daily SMS budget until an administrator approves them.

A batch gets a status (`queued`, or `awaiting_approval` when it was held), the SMS segments
estimated when it was made, and the moment its fan-out was queued, which decides the day it
counts against. Batches made before this revision were all queued when they were created.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-28 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "queued",
                    "awaiting_approval",
                    name="batchstatus",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=False,
                server_default=sa.text("'queued'"),
            )
        )
        batch_op.add_column(
            sa.Column("segments", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column(
                "released_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
            )
        )
    op.execute("UPDATE invitation_batch SET released_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.drop_column("released_at")
        batch_op.drop_column("segments")
        # The CHECK goes first: SQLite's table copy would otherwise keep it without its column.
        batch_op.drop_constraint(op.f("ck_invitation_batch_batchstatus"), type_="check")
        batch_op.drop_column("status")
