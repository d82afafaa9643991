from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, TimestampMixin, str_enum, utcnow
from birge_shared.models.enums import Channel, ChannelOptInMethod, ChannelOptOutMethod


class ParticipantChannel(TimestampMixin, Base):
    """One channel of one participant, at its place in the person's order of preference.

    `address_encrypted` holds the channel's own address when it is not the participant's phone
    or e-mail (a Telegram chat id); `address_hash` is its keyed hash, so an inbound update can
    be matched to the row without decrypting. A channel is usable when it is opted in and not
    opted out. Erasure deletes the rows.
    """

    __tablename__ = "participant_channel"
    __table_args__ = (
        UniqueConstraint("participant_id", "channel"),
        Index("ix_participant_channel_address", "channel", "address_hash"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE")
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    position: Mapped[int] = mapped_column(Integer)
    address_encrypted: Mapped[str | None] = mapped_column(Text)
    address_hash: Mapped[str | None] = mapped_column(String(64))
    opted_in_at: Mapped[datetime | None]
    opt_in_method: Mapped[ChannelOptInMethod | None] = mapped_column(str_enum(ChannelOptInMethod))
    opted_out_at: Mapped[datetime | None]
    opt_out_method: Mapped[ChannelOptOutMethod | None] = mapped_column(
        str_enum(ChannelOptOutMethod)
    )
    #: The person's last message to us on this channel: WhatsApp lets a business write free
    #: text only within 24 hours of it (the session window), templates at any time.
    last_inbound_at: Mapped[datetime | None]

    @property
    def usable(self) -> bool:
        return self.opted_in_at is not None and self.opted_out_at is None


class TelegramLinkCode(Base):
    """A one-time code of a `t.me/<bot>?start=<code>` link, stored only as its keyed hash.

    Pressing Start sends `/start <code>` to the bot; the first such message before
    `expires_at` links the chat to the participant and marks the code used.
    """

    __tablename__ = "telegram_link_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class TelegramQuestion(Base):
    """The opaque token behind a message's Accept/Decline buttons, mapped to its invitation.

    Telegram echoes a button's `callback_data` back; it carries this token (never an id in
    clear), and only the token's keyed hash is stored.
    """

    __tablename__ = "telegram_question"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    invitation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelegramUpdate(Base):
    """An update from the bot's webhook, one row per `update_id`, so a redelivery does nothing.

    An answered button leaves the chat and message to settle (remove the buttons, confirm);
    the chat id is encrypted and cleared once the worker has settled it.
    """

    __tablename__ = "telegram_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    chat_id_encrypted: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
