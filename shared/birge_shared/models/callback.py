from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, utcnow


class ProviderCallback(Base):
    """A verified Twilio webhook (SMS or WhatsApp), stored as received and handled by a worker.

    The webhook only stores (so it answers Twilio quickly); `dedupe_key` makes a callback
    delivered several times, also concurrently, one row and so one effect. The sender's number
    and the text of an inbound message are personal data: encrypted, with a keyed hash of the
    number for matching.
    """

    __tablename__ = "provider_callback"
    __table_args__ = (
        Index(
            "ix_provider_callback_pending",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # "status" or "inbound"
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    message_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str | None] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(20))
    from_hash: Mapped[str | None] = mapped_column(String(64))
    from_encrypted: Mapped[str | None] = mapped_column(Text)
    body_encrypted: Mapped[str | None] = mapped_column(Text)
    #: `whatsapp` for an inbound message from a `whatsapp:` address; None for SMS.
    channel: Mapped[str | None] = mapped_column(String(20))
    #: A WhatsApp quick-reply: the tapped button's id, and the sid of the message it was under.
    button_payload: Mapped[str | None] = mapped_column(String(128))
    replied_sid: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
