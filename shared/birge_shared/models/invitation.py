from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.enums import InvitationStatus
from birge_shared.models.event import Event
from birge_shared.models.participant import Participant


def new_token() -> str:
    """A personal-link token: 256 bits from the OS's CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)


class Invitation(TimestampMixin, Base):
    """One participant's place in one event."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("event_id", "participant_id"),
        # The participant id included: reports count invitations per event, status and
        # community without visiting the table.
        Index(
            "ix_invitation_event_status",
            "event_id",
            "status",
            postgresql_include=["participant_id"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus), default=InvitationStatus.PLANNED
    )
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitation_batch.id", ondelete="SET NULL"), index=True
    )
    # Why the invitation closed without an answer (failed delivery, expiry): readable, no PII.
    closed_reason: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None]
    # No answer by then: the invitation expires and its seat goes to the waitlist.
    expires_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    #: Came without an invitation (registered on the spot, or never invited): marked attended.
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=false())

    event: Mapped[Event] = relationship()
    participant: Mapped[Participant] = relationship()
