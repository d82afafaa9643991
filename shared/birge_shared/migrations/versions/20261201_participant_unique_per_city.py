"""Participants are unique per (phone, city): a person in two cities is two participants.

A coordinator sees the participants of their own cities only; with a number unique across
all cities, registering one that another city already holds was refused, which told the
coordinator that the person is registered elsewhere. The unique index now spans the phone
hash and the city; leading with the hash, it still serves look-ups of an inbound number.

Going back needs every number to be registered in one city at most: the downgrade refuses
when two cities hold the same number, rather than drop one of them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_participant_phone_hash"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_participant_phone_hash_city_code"), ["phone_hash", "city_code"]
        )


def downgrade() -> None:
    shared = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT phone_hash FROM participant "
            "WHERE phone_hash IS NOT NULL GROUP BY phone_hash HAVING count(*) > 1) AS shared"
        )
    )
    if shared:
        raise RuntimeError(
            f"{shared} phone number(s) are registered in more than one city; erase or merge "
            "those participants before going back to one participant per number."
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_participant_phone_hash_city_code"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_participant_phone_hash"), ["phone_hash"])
