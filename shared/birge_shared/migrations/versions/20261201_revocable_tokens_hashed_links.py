"""Access tokens that can be revoked, and personal-link tokens stored only hashed and encrypted.

`app_user.token_version` is carried in every access token; raising it revokes the account's
earlier tokens. `invitation.token` (plain text) becomes `token_hash` (HMAC-SHA-256 under
PII_HASH_KEY, what lookups use) and `token_encrypted` (Fernet under PII_ENCRYPTION_KEY, what
the workers put into reminders). Existing rows are converted, so every link already sent keeps
working; the migration therefore needs the same keys as the running services.

Downgrading decrypts the tokens back into the plain column.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from birge_shared.crypto import PiiCipher
from birge_shared.settings import get_settings

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_KIND = "invitation-link"  # birge_shared.models.invitation.token_hash


def _invitations() -> sa.TableClause:
    return sa.table(
        "invitation",
        sa.column("id", sa.Uuid()),
        sa.column("token", sa.String(64)),
        sa.column("token_hash", sa.String(64)),
        sa.column("token_encrypted", sa.Text()),
    )


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("token_encrypted", sa.Text(), nullable=True))

    cipher = PiiCipher.from_settings(get_settings())
    table = _invitations()
    connection = op.get_bind()
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c.token).where(table.c.token_hash.is_(None)).limit(_BATCH)
        ).all()
        if not rows:
            break
        for row_id, token in rows:
            connection.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(
                    token_hash=cipher.lookup_hash(_KIND, token),
                    token_encrypted=cipher.encrypt(token),
                )
            )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("token_encrypted", existing_type=sa.Text(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_invitation_token_hash"), ["token_hash"])
        batch_op.drop_constraint(batch_op.f("uq_invitation_token"), type_="unique")
        batch_op.drop_column("token")


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))

    cipher = PiiCipher.from_settings(get_settings())
    table = _invitations()
    connection = op.get_bind()
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c.token_encrypted)
            .where(table.c.token.is_(None))
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        for row_id, encrypted in rows:
            connection.execute(
                table.update().where(table.c.id == row_id).values(token=cipher.decrypt(encrypted))
            )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_invitation_token"), ["token"])
        batch_op.drop_constraint(batch_op.f("uq_invitation_token_hash"), type_="unique")
        batch_op.drop_column("token_encrypted")
        batch_op.drop_column("token_hash")

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("token_version")
