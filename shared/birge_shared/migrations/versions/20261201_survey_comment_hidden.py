"""Survey comments can be hidden: by whom and when a coordinator hid one that names someone.

A hidden comment is shown to nobody; its text stays encrypted until the retention purge (or
the writer's erasure) clears it, like every other comment.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "comment_hidden_at",
                birge_shared.models.base.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("comment_hidden_by_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_response_comment_hidden_by_id_app_user"),
            "app_user",
            ["comment_hidden_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_survey_response_comment_hidden_by_id_app_user"), type_="foreignkey"
        )
        batch_op.drop_column("comment_hidden_by_id")
        batch_op.drop_column("comment_hidden_at")
