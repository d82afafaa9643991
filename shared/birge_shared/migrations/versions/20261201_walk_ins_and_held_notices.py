"""Walk-ins, held refills and change notices, and what a change notice names.

- `invitation.walk_in`: the person came without having been invited (registered on the spot,
  or registered without an invitation); their invitation is made `attended`.
- `invitation_batch.kind`: a batch is a coordinator's request (`invitations`), a waitlist
  refill (`refill`) or the notices of an event change (`change_notice`); each counts against
  the city's daily SMS budget and waits for approval past it. `changes` names what a change
  notice is about (`time`, `place`, `title`).
- `message.batch_id`: the refill or change-notice batch a message is released with; a message
  of a batch awaiting approval is not sent.
- `event.change_base`: what participants last heard of the event (title, place, time), kept
  from the first change until the settled notice goes out.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("walk_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "invitations",
                    "refill",
                    "change_notice",
                    name="batchkind",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=False,
                server_default=sa.text("'invitations'"),
            )
        )
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_message_batch_id"), ["batch_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_message_batch_id_invitation_batch"),
            "invitation_batch",
            ["batch_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_base", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("change_base")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_message_batch_id_invitation_batch"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_message_batch_id"))
        batch_op.drop_column("batch_id")
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.drop_column("changes")
        # The CHECK goes first: SQLite's table copy would otherwise keep it without its column.
        batch_op.drop_constraint(op.f("ck_invitation_batch_batchkind"), type_="check")
        batch_op.drop_column("kind")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("walk_in")
