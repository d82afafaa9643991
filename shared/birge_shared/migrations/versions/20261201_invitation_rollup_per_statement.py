"""Invitations counted once per statement on PostgreSQL.

The invitation rollup's triggers ran once per row: a batch of ten thousand invitations added
to its cell's row ten thousand times when inserted and twice that when marked sent, and two
sending workers queued on that row's lock. On PostgreSQL they are now statement triggers over
the transition tables (`birge_shared.rollups.CURRENT`), one upsert per cell per statement.
The counts do not change, so nothing is rebuilt. SQLite keeps its row triggers.

Revision ID: 0036
Revises: 0034
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

from alembic import op

from birge_shared import rollups

revision: str = "0036"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(scheme: rollups.Scheme) -> None:
    dialect = op.get_bind().dialect.name
    if dialect != "postgresql":
        return
    for statement in rollups.drop_statements(dialect):
        op.execute(statement)
    for statement in rollups.create_statements(dialect, scheme):
        op.execute(statement)


def upgrade() -> None:
    _recreate(rollups.CURRENT)


def downgrade() -> None:
    _recreate(rollups.WIDE)
