"""Report rollups: per event and community, the counts and sums every report figure needs.

`report_rollup` holds, per (event, community, item, wave or wave pair, value), a count, a sum
and a sum of squares of the survey answers; `invitation_rollup`, per (event, community), the
invitations in each status (`birge_shared.rollups` says what each key means). Triggers on
`survey_response`, `invitation` and `participant` keep both in the writing transaction, on
PostgreSQL and SQLite alike; the rows are backfilled here from the existing answers and
invitations.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from birge_shared import rollups

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_rollup",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("community", sa.String(20), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("wave", sa.String(40), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("squares", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint(
            "event_id", "community", "item", "wave", "value", name="pk_report_rollup"
        ),
    )
    op.create_table(
        "invitation_rollup",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("community", sa.String(20), nullable=False),
        *(
            sa.Column(status, sa.BigInteger(), nullable=False, server_default="0")
            for status in rollups.STATUSES
        ),
        sa.PrimaryKeyConstraint("event_id", "community", name="pk_invitation_rollup"),
    )
    connection = op.get_bind()
    # The items of this revision: later items' columns do not exist yet.
    for statement in rollups.create_statements(connection.dialect.name, rollups.FIRST):
        op.execute(statement)
    rollups.rebuild(connection, rollups.FIRST)


def downgrade() -> None:
    for statement in rollups.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("invitation_rollup")
    op.drop_table("report_rollup")
