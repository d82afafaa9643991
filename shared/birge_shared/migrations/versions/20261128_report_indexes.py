"""Indexes the impact reports read from: survey answers and invitations per event, covered.

A report over a period reads a few hundred events' answers and invitations. With the values it
needs included in the index, PostgreSQL reads them from the index alone (an index-only scan)
instead of visiting a heap page per answer, and pairs pre with post answers in pseudonym order.
The new survey index starts with (event_id, kind), so it replaces the old one; the invitation
index keeps its name and keys and gains the participant id. SQLite ignores the INCLUDE lists.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURVEY_INCLUDE = ["attitude", "rating", "cross_group_talk", "community"]


def upgrade() -> None:
    op.drop_index("ix_survey_response_event_kind", table_name="survey_response")
    op.create_index(
        "ix_survey_response_event_kind_pseudonym",
        "survey_response",
        ["event_id", "kind", "pseudonym"],
        postgresql_include=SURVEY_INCLUDE,
    )
    op.drop_index("ix_invitation_event_status", table_name="invitation")
    op.create_index(
        "ix_invitation_event_status",
        "invitation",
        ["event_id", "status"],
        postgresql_include=["participant_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_invitation_event_status", table_name="invitation")
    op.create_index("ix_invitation_event_status", "invitation", ["event_id", "status"])
    op.drop_index("ix_survey_response_event_kind_pseudonym", table_name="survey_response")
    op.create_index("ix_survey_response_event_kind", "survey_response", ["event_id", "kind"])
