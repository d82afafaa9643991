"""Saved participant filters: a city's named criteria, to apply again or to invite from.

A filter holds structured criteria only (no typed name or number), so nothing in the table
is personal data. Names are unique within a city.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["city_code"], ["city.code"], name=op.f("fk_saved_filter_city_code_city")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_saved_filter_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filter")),
        sa.UniqueConstraint("city_code", "name", name=op.f("uq_saved_filter_city_code_name")),
    )


def downgrade() -> None:
    op.drop_table("saved_filter")
