from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base


class ParticipantNameToken(Base):
    """One keyed hash of one prefix of one token of a participant's name (`name_index`).

    The key leads, so a search is an index range per typed word; the participant's own index
    serves replacing a name's tokens and erasing them.
    """

    __tablename__ = "participant_name_token"
    __table_args__ = (Index("ix_participant_name_token_participant_id", "participant_id"),)

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
