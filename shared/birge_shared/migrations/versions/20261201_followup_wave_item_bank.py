"""Follow-up wave and the item bank: one column per new item, each event's chosen items.

The item bank's new items (`birge_shared.survey_items`) are columns of `survey_response`
beside the attitude, rating and cross-group talk, and the follow-up wave is one more `kind`
of the same rows: so the rollup triggers stay the one generic set keyed by item and wave, and
no existing answer moves (nothing to backfill but the rollups, rebuilt from the answers). The
triggers are re-created from `birge_shared.rollups.ITEM_BANK` (the new items and wave pairs).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from birge_shared import rollups

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INTEGERS = ("thermometer", "social_distance", "anxiety", "join_again")


def upgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in rollups.drop_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table("survey_response") as batch:
        for column in _INTEGERS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch.add_column(sa.Column("met_outside", sa.Boolean(), nullable=True))
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("survey_items", sa.JSON(), nullable=True))
    for statement in rollups.create_statements(dialect, rollups.ITEM_BANK):
        op.execute(statement)
    rollups.rebuild(connection, rollups.ITEM_BANK)


def downgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in rollups.drop_statements(dialect):
        op.execute(statement)
    op.execute("DELETE FROM survey_response WHERE kind = 'followup'")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("survey_items")
    with op.batch_alter_table("survey_response") as batch:
        batch.drop_column("met_outside")
        for column in reversed(_INTEGERS):
            batch.drop_column(column)
    for statement in rollups.create_statements(dialect, rollups.FIRST):
        op.execute(statement)
    rollups.rebuild(connection, rollups.FIRST)
