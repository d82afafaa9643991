from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, str_enum, utcnow


class BatchStatus(enum.StrEnum):
    #: Its fan-out is queued (or done): the invitations go out.
    QUEUED = "queued"
    #: Over the city's daily SMS budget: nothing goes out until an administrator approves it.
    AWAITING_APPROVAL = "awaiting_approval"


class BatchKind(enum.StrEnum):
    #: A coordinator's "send invitations" request.
    INVITATIONS = "invitations"
    #: Freed seats given to the waitlist: the promoted people's invitation messages.
    REFILL = "refill"
    #: The settled notice of an event change to everyone holding a sent or accepted invitation.
    CHANGE_NOTICE = "change_notice"
    #: A coordinator's own message to the people confirmed for the event.
    MESSAGE = "message"


class InvitationBatch(Base):
    """One "send invitations" request: the unit a coordinator watches and retries.

    `(created_by_id, idempotency_key)` is unique, so the same Idempotency-Key sent twice, even
    at the same moment, creates one batch; `request_fingerprint` tells a replay of the same
    body from a different body under the same key.
    """

    __tablename__ = "invitation_batch"
    __table_args__ = (UniqueConstraint("created_by_id", "idempotency_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    invited: Mapped[int] = mapped_column(Integer, default=0)
    waitlisted: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[BatchStatus] = mapped_column(
        str_enum(BatchStatus), default=BatchStatus.QUEUED, server_default=BatchStatus.QUEUED.value
    )
    #: The invitation SMS segments estimated when the batch was made; counted against the
    #: city's daily budget on the day the batch is released.
    segments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When its fan-out was queued: at creation, or when an administrator approved it.
    released_at: Mapped[datetime | None]
    kind: Mapped[BatchKind] = mapped_column(
        str_enum(BatchKind),
        default=BatchKind.INVITATIONS,
        server_default=BatchKind.INVITATIONS.value,
    )
    #: What a change notice is about (`time`, `place`, `title`); None for other kinds.
    changes: Mapped[list[str] | None] = mapped_column(JSON)
    #: The channels the coordinator chose for this batch (`whatsapp`, `telegram`, `sms`,
    #: `email`); each person gets the first of these in their own order. None is all.
    channels: Mapped[list[str] | None] = mapped_column(JSON)
