from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, utcnow


class CalendarReply(Base):
    """One calendar answer (an iTIP `METHOD:REPLY` e-mail) applied to an invitation.

    The unique key is what makes an answer count once: the same reply read twice (delivered
    twice, or read again after a worker died between committing and flagging the e-mail)
    has the same SEQUENCE and DTSTAMP, and its second insert does nothing. No address, name or
    text of the e-mail is kept.
    """

    __tablename__ = "calendar_reply"
    __table_args__ = (UniqueConstraint("invitation_id", "sequence", "replied_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invitation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE")
    )
    #: The SEQUENCE of the invitation the answer was given to.
    sequence: Mapped[int]
    #: The reply's DTSTAMP: when the person answered in their calendar.
    replied_at: Mapped[datetime]
    #: The PARTSTAT it carried: accepted, declined or tentative.
    answer: Mapped[str] = mapped_column(String(20))
    #: What Birge did with it (`applied`, `unchanged`, `closed`, `tentative`, `stale`).
    outcome: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
