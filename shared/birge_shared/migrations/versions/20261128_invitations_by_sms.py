"""Invitations by SMS: batches, message templates, the webhook inbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:08:20.508971
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_callback",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("error_code", sa.String(length=20), nullable=True),
        sa.Column("from_hash", sa.String(length=64), nullable=True),
        sa.Column("from_encrypted", sa.Text(), nullable=True),
        sa.Column("body_encrypted", sa.Text(), nullable=True),
        sa.Column(
            "received_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "processed_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_callback")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_provider_callback_dedupe_key")),
    )
    with op.batch_alter_table("provider_callback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_callback_message_sid"), ["message_sid"], unique=False
        )
        batch_op.create_index(
            "ix_provider_callback_pending",
            ["id"],
            unique=False,
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )

    op.create_table(
        "message_template",
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column(
            "language",
            sa.Enum("ky", "ru", "en", name="language", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "updated_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["app_user.id"],
            name=op.f("fk_message_template_updated_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("purpose", "language", name=op.f("pk_message_template")),
    )
    op.create_table(
        "invitation_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("waitlisted", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_invitation_batch_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_invitation_batch_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_batch")),
        sa.UniqueConstraint(
            "created_by_id",
            "idempotency_key",
            name=op.f("uq_invitation_batch_created_by_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_batch_event_id"), ["event_id"], unique=False
        )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column(
                "expires_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_invitation_batch_id"), ["batch_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_batch_id_invitation_batch"),
            "invitation_batch",
            ["batch_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reply_hint_sent_at",
                birge_shared.models.base.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("reply_hint_sent_at")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invitation_batch_id_invitation_batch"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_invitation_batch_id"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("batch_id")

    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_batch_event_id"))

    op.drop_table("invitation_batch")
    op.drop_table("message_template")
    with op.batch_alter_table("provider_callback", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_provider_callback_pending",
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_provider_callback_message_sid"))

    op.drop_table("provider_callback")
