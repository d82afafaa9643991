"""Report rollups in the wide shape: a distribution's counts and a pair's rises as columns.

The rating distribution read a row per rating value of every cell and pivoted them per cell;
now each distribution item's moments row holds its counts per value (`at_1` … `at_5`), so
the distribution is one pass over one row per cell. Each pair row also counts the people
whose value rose (`positive`), the evidence figure of the share reporting a positive change.
The per-value rows go: the triggers are re-created from `birge_shared.rollups.WIDE` and
the rollups rebuilt from the answers; the measure index covers the new columns.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from birge_shared import rollups

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_report_rollup_measure"
_INDEXED = ["item", "wave", "event_id", "community", "value"]
_SUMS = ["n", "total", "squares"]
_NEW = [*rollups.COUNT_COLUMNS, rollups.POSITIVE]


def upgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in rollups.drop_statements(dialect):
        op.execute(statement)
    op.drop_index(_INDEX, table_name=rollups.TABLE)
    with op.batch_alter_table(rollups.TABLE) as batch:
        for column in _NEW:
            batch.add_column(sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index(_INDEX, rollups.TABLE, _INDEXED, postgresql_include=[*_SUMS, *_NEW])
    for statement in rollups.create_statements(dialect, rollups.WIDE):
        op.execute(statement)
    rollups.rebuild(connection, rollups.WIDE)


def downgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in rollups.drop_statements(dialect):
        op.execute(statement)
    op.drop_index(_INDEX, table_name=rollups.TABLE)
    with op.batch_alter_table(rollups.TABLE) as batch:
        for column in reversed(_NEW):
            batch.drop_column(column)
    op.create_index(_INDEX, rollups.TABLE, _INDEXED, postgresql_include=_SUMS)
    for statement in rollups.create_statements(dialect, rollups.ITEM_BANK):
        op.execute(statement)
    rollups.rebuild(connection, rollups.ITEM_BANK)
