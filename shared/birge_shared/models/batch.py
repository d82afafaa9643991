from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, utcnow


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
