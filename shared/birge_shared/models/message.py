from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.enums import MessageChannel, MessageDirection, MessageStatus


class Message(TimestampMixin, Base):
    """One message on one channel, inbound or outbound, with its provider id and status.

    An outbound message's `dedupe_key` is `<subject>:<id>:<channel>:<purpose>:<version>`
    (`birge_shared.outbound.dedupe`, for example `invitation:<id>:sms:invitation:0`): "one
    message per subject, channel, purpose and version" is a database guarantee, so a task
    that runs twice cannot plan a second send. An inbound one keeps its webhook's key.
    `sent_at` of a row still `sending` is the recorded hand-over to a provider that cannot be
    asked afterwards (SMTP's DATA), which the sweeper goes by.
    """

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status_updated", "status", "updated_at"),
        # The coordinators' inbox: inbound texts of a few purposes, newest first.
        Index("ix_message_inbox", "direction", "purpose", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    direction: Mapped[MessageDirection] = mapped_column(str_enum(MessageDirection))
    channel: Mapped[MessageChannel] = mapped_column(str_enum(MessageChannel))
    purpose: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True
    )
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    #: The refill or change-notice batch this message is released with; while that batch awaits
    #: an administrator's approval the message is not sent.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitation_batch.id", ondelete="SET NULL"), index=True
    )
    #: The message refused for good on another channel (or skipped there, switched off) that
    #: this one was planned in place of, on the person's next channel
    #: (`birge_shared.outbound.fallback`).
    fallback_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL")
    )
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus), default=MessageStatus.PLANNED
    )
    segments: Mapped[int | None] = mapped_column(Integer)
    # The body is personal data: encrypted, and purged after the retention period.
    body_encrypted: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_reason: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # An inbound text a coordinator has dealt with (the inbox), and who did.
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
