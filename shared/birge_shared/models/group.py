from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.enums import Language


class EventGroup(TimestampMixin, Base):
    """One team or table inside an event, numbered from 1; its members share `language`."""

    __tablename__ = "event_group"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    language: Mapped[Language] = mapped_column(str_enum(Language, 2))
    #: Who made the split last (`split`) or moved someone by hand (`manual`).
    source: Mapped[str] = mapped_column(String(10), default="split")


class GroupMember(Base):
    """A person's group in an event: one group per person and event."""

    __tablename__ = "group_member"
    __table_args__ = (Index("ix_group_member_participant", "participant_id"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_group.id", ondelete="CASCADE"), index=True
    )
