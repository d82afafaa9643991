"""A coordinator's message to the confirmed people is a batch too, held past the budget.

`invitation_batch.kind` gains `message`: the SMS a coordinator writes to everyone confirmed
for an event are released as one batch, queued within the city's daily SMS budget and
awaiting an administrator's approval past it, like every other bulk send. Only the CHECK on
the column's values changes.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("invitations", "refill", "change_notice")
_AFTER = (*_BEFORE, "message")


def _allow(kinds: Sequence[str]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("invitation_batch", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invitation_batch_batchkind"), type_="check")
        batch_op.create_check_constraint("batchkind", f"kind IN ({listed})")


def upgrade() -> None:
    _allow(_AFTER)


def downgrade() -> None:
    # A held or sent message batch has no older kind to become: it goes with its messages'
    # link to it (message.batch_id is SET NULL on delete).
    op.execute("DELETE FROM invitation_batch WHERE kind = 'message'")
    _allow(_BEFORE)
