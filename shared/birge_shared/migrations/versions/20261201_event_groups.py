"""Teams and tables inside an event, and the contact ledger.

`event_group` numbers an event's groups from 1 and records the language its members share;
`group_member` holds one row per person and event, so a person is in one group at a time.
`contact_pair` is the ledger (who shared a group at an event both attended; personal data,
erased and purged), `contact_rollup` its report figures per city and month (never decremented).
`buddy_pair` pairs a host-community member with a migrant for a series of events.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import birge_shared.models.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LANGUAGE = sa.Enum(
    "ky", "ru", "en", name="language", native_enum=False, create_constraint=True, length=2
)


def upgrade() -> None:
    op.create_table(
        "event_group",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("language", _LANGUAGE, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column(
            "created_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", birge_shared.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_group_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_group")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_event_group_event_id_number")),
    )
    op.create_table(
        "group_member",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_group_member_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["event_group.id"],
            name=op.f("fk_group_member_group_id_event_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_group_member_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "participant_id", name=op.f("pk_group_member")),
    )
    op.create_index("ix_group_member_group_id", "group_member", ["group_id"])
    op.create_index("ix_group_member_participant", "group_member", ["participant_id"])
    utc = birge_shared.models.base.UtcDateTime(timezone=True)
    op.create_table(
        "contact_pair",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("participant_a", sa.Uuid(), nullable=False),
        sa.Column("participant_b", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("cross_group", sa.Boolean(), nullable=False),
        sa.Column("met_at", utc, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_contact_pair_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_a"],
            ["participant.id"],
            name=op.f("fk_contact_pair_participant_a_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_b"],
            ["participant.id"],
            name=op.f("fk_contact_pair_participant_b_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "participant_a", "participant_b", name=op.f("pk_contact_pair")
        ),
    )
    op.create_index("ix_contact_pair_b", "contact_pair", ["participant_b"])
    op.create_index("ix_contact_pair_city_month", "contact_pair", ["city_code", "month"])
    op.create_table(
        "contact_rollup",
        sa.Column("city_code", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "people",
                "reached_1",
                "reached_2",
                "reached_3",
                "reached_5",
                "reached_10",
                "repeated_pairs",
                "buddy_pairs_met_three",
            )
        ),
        sa.ForeignKeyConstraint(
            ["city_code"], ["city.code"], name=op.f("fk_contact_rollup_city_code_city")
        ),
        sa.PrimaryKeyConstraint("city_code", "month", name=op.f("pk_contact_rollup")),
    )
    op.create_table(
        "buddy_pair",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=40), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("migrant_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("ended_at", utc, nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("updated_at", utc, nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["participant.id"],
            name=op.f("fk_buddy_pair_host_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["migrant_id"],
            ["participant.id"],
            name=op.f("fk_buddy_pair_migrant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_buddy_pair_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_pair")),
    )
    op.create_index("ix_buddy_pair_host", "buddy_pair", ["host_id"])
    op.create_index("ix_buddy_pair_migrant", "buddy_pair", ["migrant_id"])


def downgrade() -> None:
    op.drop_index("ix_buddy_pair_migrant", table_name="buddy_pair")
    op.drop_index("ix_buddy_pair_host", table_name="buddy_pair")
    op.drop_table("buddy_pair")
    op.drop_table("contact_rollup")
    op.drop_index("ix_contact_pair_city_month", table_name="contact_pair")
    op.drop_index("ix_contact_pair_b", table_name="contact_pair")
    op.drop_table("contact_pair")
    op.drop_index("ix_group_member_participant", table_name="group_member")
    op.drop_index("ix_group_member_group_id", table_name="group_member")
    op.drop_table("group_member")
    op.drop_table("event_group")
