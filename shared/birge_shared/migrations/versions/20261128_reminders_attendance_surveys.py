"""Reminders, attendance and surveys: per-event timings, check-in, pseudonymous answers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:08:30.418191
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column(
            "community",
            sa.Enum(
                "host",
                "migrant",
                name="community",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("attitude", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("cross_group_talk", sa.Boolean(), nullable=True),
        sa.Column("comment_encrypted", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column(
            "answered_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_survey_response_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint(
            "event_id", "pseudonym", "kind", name=op.f("uq_survey_response_event_id_pseudonym_kind")
        ),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index("ix_survey_response_event_kind", ["event_id", "kind"], unique=False)

    op.create_table(
        "survey_conversation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column(
            "started_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "reminded_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_survey_conversation_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_conversation")),
        sa.UniqueConstraint(
            "invitation_id", "kind", name=op.f("uq_survey_conversation_invitation_id_kind")
        ),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        # Existing events get the defaults: reminders 24 h and 2 h before, survey 1 h after.
        batch_op.add_column(
            sa.Column(
                "reminder_offsets",
                sa.JSON(),
                nullable=False,
                server_default=sa.text("'[1440, 120]'"),
            )
        )
        batch_op.add_column(
            sa.Column(
                "survey_delay_minutes", sa.Integer(), nullable=False, server_default=sa.text("60")
            )
        )
        batch_op.add_column(sa.Column("checkin_code", sa.String(length=12), nullable=True))

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "checked_in_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("checked_in_at")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("checkin_code")
        batch_op.drop_column("survey_delay_minutes")
        batch_op.drop_column("reminder_offsets")

    op.drop_table("survey_conversation")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_response_event_kind")

    op.drop_table("survey_response")
