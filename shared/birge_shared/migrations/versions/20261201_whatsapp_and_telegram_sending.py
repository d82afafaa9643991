"""WhatsApp and Telegram become sending channels: templates, read receipts, the chosen channels.

`message.channel` gains `whatsapp` and `telegram`, `message.status` gains `read` (WhatsApp's
read receipt). `whatsapp_template` holds the Twilio Content templates an administrator
registers, one per purpose and language, with their approval status synced from Twilio.
`participant_channel.last_inbound_at` is the person's last message on the channel, which opens
WhatsApp's 24-hour session window; `invitation_batch.channels` the channels a coordinator chose
for a batch.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = birge_shared.models.base.UtcDateTime

_CHANNELS_BEFORE = ("sms", "email")
_CHANNELS_AFTER = (*_CHANNELS_BEFORE, "whatsapp", "telegram")
_STATUSES_BEFORE = (
    "planned",
    "sending",
    "queued",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "received",
    "skipped",
)
_STATUSES_AFTER = (*_STATUSES_BEFORE, "read")


def _listed(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _allow(channels: Sequence[str], statuses: Sequence[str]) -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_message_messagechannel"), type_="check")
        batch_op.create_check_constraint("messagechannel", f"channel IN ({_listed(channels)})")
        batch_op.drop_constraint(op.f("ck_message_messagestatus"), type_="check")
        batch_op.create_check_constraint("messagestatus", f"status IN ({_listed(statuses)})")


def _enum(name: str, values: Sequence[str], length: int = 20) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    _allow(_CHANNELS_AFTER, _STATUSES_AFTER)
    op.create_table(
        "whatsapp_template",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("language", _enum("language", ["ky", "ru", "en"], length=2), nullable=False),
        sa.Column("content_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.String(length=200), nullable=False),
        sa.Column(
            "category",
            _enum("templatecategory", ["utility", "marketing", "authentication"]),
            nullable=False,
        ),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column(
            "approval",
            _enum(
                "templateapproval",
                ["unsubmitted", "pending", "approved", "rejected", "paused", "disabled"],
            ),
            nullable=False,
        ),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("synced_at", _UTC(), nullable=True),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_template")),
        sa.UniqueConstraint("content_sid", name=op.f("uq_whatsapp_template_content_sid")),
        sa.UniqueConstraint(
            "purpose", "language", name=op.f("uq_whatsapp_template_purpose_language")
        ),
    )
    with op.batch_alter_table("participant_channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_inbound_at", _UTC(), nullable=True))
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.drop_column("channels")
    with op.batch_alter_table("participant_channel", schema=None) as batch_op:
        batch_op.drop_column("last_inbound_at")
    op.drop_table("whatsapp_template")
    # WhatsApp and Telegram messages have no older channel to become; a read one was delivered.
    op.execute("DELETE FROM message WHERE channel IN ('whatsapp', 'telegram')")
    op.execute("UPDATE message SET status = 'delivered' WHERE status = 'read'")
    _allow(_CHANNELS_BEFORE, _STATUSES_BEFORE)
