"""Calendar answers read from the reply mailbox: one row per answer applied.

`calendar_reply` keys each `METHOD:REPLY` by invitation, SEQUENCE and DTSTAMP, so an answer
read twice counts once. It holds no address and no text of the e-mail.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_reply",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "replied_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("answer", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_calendar_reply_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_reply")),
        sa.UniqueConstraint(
            "invitation_id",
            "sequence",
            "replied_at",
            name=op.f("uq_calendar_reply_invitation_id_sequence_replied_at"),
        ),
    )


def downgrade() -> None:
    op.drop_table("calendar_reply")
