"""Search participants by name through a blind index, and hold import uploads encrypted.

The participant list is read in registration order, per city: two indexes serve that order.

`participant_name_token` holds keyed hashes of the prefixes of each name's normalised tokens
(`birge_shared.name_index`); existing participants are indexed here, in batches, by decrypting
each name once with the configured keys. `birge pii reindex-names` rebuilds the same rows after
PII_HASH_KEY changes. `import_upload` keeps a spreadsheet between the import wizard's steps,
encrypted with the PII key.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base
from birge_shared import name_index
from birge_shared.crypto import PiiCipher
from birge_shared.settings import get_settings

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def _backfill() -> None:
    cipher = PiiCipher.from_settings(get_settings())
    key = cipher.name_token_key
    participants = sa.table(
        "participant",
        sa.column("id", sa.Uuid()),
        sa.column("name_encrypted", sa.Text()),
    )
    tokens = sa.table(
        "participant_name_token",
        sa.column("token_hash", sa.LargeBinary(16)),
        sa.column("participant_id", sa.Uuid()),
    )
    connection = op.get_bind()
    after = None
    while True:
        query = (
            sa.select(participants.c.id, participants.c.name_encrypted)
            .where(participants.c.name_encrypted.is_not(None))
            .order_by(participants.c.id)
            .limit(_BATCH)
        )
        if after is not None:
            query = query.where(participants.c.id > after)
        rows = connection.execute(query).all()
        if not rows:
            return
        values = [
            row
            for participant_id, encrypted in rows
            for row in name_index.index_rows(key, participant_id, cipher.decrypt(encrypted))
        ]
        if values:
            connection.execute(tokens.insert(), values)
        after = rows[-1][0]


def upgrade() -> None:
    op.create_table(
        "participant_name_token",
        sa.Column("token_hash", sa.LargeBinary(length=16), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_name_token_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "token_hash", "participant_id", name=op.f("pk_participant_name_token")
        ),
    )
    with op.batch_alter_table("participant_name_token", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participant_name_token_participant_id", ["participant_id"], unique=False
        )
    op.create_table(
        "import_upload",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("filename_encrypted", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("content_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_import_upload_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
    )
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_upload_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participant_city_created", ["city_code", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_participant_created", ["created_at", "id"], unique=False)
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_created")
        batch_op.drop_index("ix_participant_city_created")
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_upload_user_id"))
    op.drop_table("import_upload")
    with op.batch_alter_table("participant_name_token", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_name_token_participant_id")
    op.drop_table("participant_name_token")
