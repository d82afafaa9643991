"""An inbound message says which channel it came by, and a WhatsApp button what it answered.

`provider_callback.channel` is `whatsapp` for a message Twilio posted from a `whatsapp:`
address (null: SMS, as every row before). `button_payload` is the id of the quick-reply button
the person tapped and `replied_sid` the provider's id of the message it was under; neither is
personal data (the ids are Birge's own and Twilio's).

Revision ID: 0034
Revises: 0035
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider_callback") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("button_payload", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("replied_sid", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider_callback") as batch:
        batch.drop_column("replied_sid")
        batch.drop_column("button_payload")
        batch.drop_column("channel")
