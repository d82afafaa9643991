"""Events get a visibility: only public events are listed in the city's calendar feed.

Every existing event becomes private: the feed is read without a login, and until now it
listed every scheduled event with its exact venue. A coordinator publishes an event by setting
it to public.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "visibility",
                sa.Enum(
                    "private",
                    "public",
                    name="eventvisibility",
                    native_enum=False,
                    create_constraint=True,
                    length=10,
                ),
                nullable=False,
                server_default=sa.text("'private'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        # The CHECK goes first: SQLite's table copy would otherwise keep it without its column.
        batch_op.drop_constraint(op.f("ck_event_eventvisibility"), type_="check")
        batch_op.drop_column("visibility")
