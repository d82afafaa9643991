from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, TimestampMixin


class BuddyPair(TimestampMixin, Base):
    """A host-community member and a migrant paired by a coordinator for a series of events.

    While active (`ended_at` is null) they are invited together, kept in one group and nudged
    before an event both are coming to. A person is in at most one active pair.
    """

    __tablename__ = "buddy_pair"
    __table_args__ = (
        Index("ix_buddy_pair_host", "host_id"),
        Index("ix_buddy_pair_migrant", "migrant_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    city_code: Mapped[str] = mapped_column(String(40))
    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    migrant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    ended_at: Mapped[datetime | None]
