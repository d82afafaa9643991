from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from birge_shared.crypto import PiiCipher, get_cipher
from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.enums import InvitationStatus
from birge_shared.models.event import Event
from birge_shared.models.participant import Participant


def new_token() -> str:
    """A personal-link token: 256 bits from the OS's CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str, cipher: PiiCipher | None = None) -> str:
    """The stored, looked-up form of a personal-link token: HMAC-SHA-256 under PII_HASH_KEY."""
    return (cipher or get_cipher()).lookup_hash("invitation-link", token)


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
    # The personal link's token is never stored as it is. Lookups go by its keyed hash; the
    # token itself is kept encrypted (PII_ENCRYPTION_KEY) because every reminder and survey
    # SMS, rendered by a worker at send time, must carry the link again. A token derived from
    # the id under a key would need no column, but could not keep the links of invitations
    # made before tokens were hashed, which people already hold in their messages.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_encrypted: Mapped[str] = mapped_column(Text)
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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.token_hash is None:
            self.set_token(new_token())

    def set_token(self, token: str) -> None:
        cipher = get_cipher()
        self.token_hash = token_hash(token, cipher)
        self.token_encrypted = cipher.encrypt(token)

    @property
    def token(self) -> str:
        """The personal link's token, for the messages that carry the link."""
        return get_cipher().decrypt(self.token_encrypted)
