"""Each participant's channels in order of preference, and what the Telegram bot needs.

`participant_channel` lists a person's channels (WhatsApp, Telegram, SMS, e-mail) with where
each stands in their preference and its opt-in and opt-out records; a Telegram chat id is
kept encrypted, with a keyed hash for matching updates. `telegram_link_code` holds the
one-time codes of the bot's start links, `telegram_question` the opaque tokens behind a
message's Accept/Decline buttons, and `telegram_update` one row per update the webhook took,
so a redelivered update does nothing twice.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = birge_shared.models.base.UtcDateTime


def _enum(name: str, values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "participant_channel",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel", _enum("channel", ["whatsapp", "telegram", "sms", "email"]), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=True),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("opted_in_at", _UTC(timezone=True), nullable=True),
        sa.Column(
            "opt_in_method",
            _enum(
                "channeloptinmethod",
                ["consent", "paper_form", "verbal", "web_form", "telegram_start"],
            ),
            nullable=True,
        ),
        sa.Column("opted_out_at", _UTC(timezone=True), nullable=True),
        sa.Column(
            "opt_out_method",
            _enum("channeloptoutmethod", ["telegram_stop", "blocked", "coordinator"]),
            nullable=True,
        ),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("updated_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_channel_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_channel")),
        sa.UniqueConstraint(
            "participant_id", "channel", name=op.f("uq_participant_channel_participant_id_channel")
        ),
    )
    with op.batch_alter_table("participant_channel", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participant_channel_address", ["channel", "address_hash"], unique=False
        )

    op.create_table(
        "telegram_link_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("expires_at", _UTC(timezone=True), nullable=False),
        sa.Column("used_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_telegram_link_code_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_telegram_link_code")),
    )
    with op.batch_alter_table("telegram_link_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_link_code_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "telegram_question",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_telegram_question_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_telegram_question")),
    )
    with op.batch_alter_table("telegram_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_question_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "telegram_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("chat_id_encrypted", sa.Text(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("received_at", _UTC(timezone=True), nullable=False),
        sa.Column("settled_at", _UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_telegram_update_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_telegram_update")),
    )
    with op.batch_alter_table("telegram_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_update_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("telegram_update")
    op.drop_table("telegram_question")
    op.drop_table("telegram_link_code")
    op.drop_table("participant_channel")
