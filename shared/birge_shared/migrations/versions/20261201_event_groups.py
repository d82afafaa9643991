"""Teams and tables inside an event: groups, each person's group.

`event_group` numbers an event's groups from 1 and records the language its members share;
`group_member` holds one row per person and event, so a person is in one group at a time.

Revision ID: 0025
Revises: 0019
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0025"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LANGUAGE = sa.Enum(
    "ky", "ru", "en", name="language", native_enum=False, create_constraint=True, length=2
)


def upgrade() -> None:
    op.create_table(
        "event_group",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("language", _LANGUAGE, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column(
            "created_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_group_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_group")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_event_group_event_id_number")),
    )
    op.create_table(
        "group_member",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_group_member_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["event_group.id"],
            name=op.f("fk_group_member_group_id_event_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_group_member_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "participant_id", name=op.f("pk_group_member")),
    )
    op.create_index("ix_group_member_group_id", "group_member", ["group_id"])
    op.create_index("ix_group_member_participant", "group_member", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_group_member_participant", table_name="group_member")
    op.drop_index("ix_group_member_group_id", table_name="group_member")
    op.drop_table("group_member")
    op.drop_table("event_group")
