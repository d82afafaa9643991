from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base


class ContactPair(Base):
    """Two people who were in the same group at an event both attended: the contact ledger.

    Internal personal data (who met whom): never in a report or an export, deleted with either
    person on erasure, purged after the retention period. `participant_a` sorts before
    `participant_b` (as text). The report figures come from `ContactRollup`, not from here.
    """

    __tablename__ = "contact_pair"
    __table_args__ = (
        Index("ix_contact_pair_b", "participant_b"),
        Index("ix_contact_pair_city_month", "city_code", "month"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    participant_a: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    participant_b: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    city_code: Mapped[str] = mapped_column(String(40))
    #: The event's month in the city's time zone, `YYYY-MM`: the rollup's period.
    month: Mapped[str] = mapped_column(String(7))
    #: One host-community member and one migrant.
    cross_group: Mapped[bool]
    met_at: Mapped[datetime]


class ContactRollup(Base):
    """The ledger's report figures for one city and month, kept as pairs are recorded.

    Never decremented: erasing a person or purging old pairs leaves every figure as it was.
    `reached_k` counts the people whose distinct cross-group contacts in the month reached k.
    """

    __tablename__ = "contact_rollup"

    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    #: People with at least one recorded group contact in the month.
    people: Mapped[int] = mapped_column(Integer, default=0)
    reached_1: Mapped[int] = mapped_column(Integer, default=0)
    reached_2: Mapped[int] = mapped_column(Integer, default=0)
    reached_3: Mapped[int] = mapped_column(Integer, default=0)
    reached_5: Mapped[int] = mapped_column(Integer, default=0)
    reached_10: Mapped[int] = mapped_column(Integer, default=0)
    #: Cross-group pairs whose second meeting (at any event in the city) fell in the month.
    repeated_pairs: Mapped[int] = mapped_column(Integer, default=0)
    #: Buddy pairs whose third meeting in a group fell in the month.
    buddy_pairs_met_three: Mapped[int] = mapped_column(Integer, default=0)
