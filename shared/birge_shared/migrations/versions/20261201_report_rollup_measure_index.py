"""An index of the report rollups by measure, covering the sums.

A summary reads a few measures (the post ratings, the cross-group answers, the pre/post
pairs, the post respondents) of every cell of its events, out of a dozen kept per cell. The
primary key starts with the event, so without this index PostgreSQL reads every rollup row.
Keyed by (item, wave) first, then the cell and the value, and with the sums included, each
measure is one range of the index read alone (an index-only scan), already in cell order.
SQLite ignores the INCLUDE list.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_report_rollup_measure",
        "report_rollup",
        ["item", "wave", "event_id", "community", "value"],
        postgresql_include=["n", "total", "squares"],
    )


def downgrade() -> None:
    op.drop_index("ix_report_rollup_measure", table_name="report_rollup")
