from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.enums import Community, ConsentMethod, Language


class Participant(TimestampMixin, Base):
    """A person who can be invited.

    Name, phone and e-mail are stored only encrypted (`*_encrypted`); the `*_hash` columns are
    keyed HMACs used for lookups and uniqueness. Erasure clears all of them and sets
    `erased_at`, keeping the row as an anonymous stub so aggregates stay true.

    A participant belongs to one city, and a number is unique within its city: a person
    registered in Bishkek and in Osh is two participants, each seen by that city's
    coordinators, so nothing a coordinator does can tell them whether a number is registered
    elsewhere. The unique index leads with the hash, so it also serves inbound look-ups.
    """

    __tablename__ = "participant"
    __table_args__ = (
        Index("ix_participant_city_community", "city_code", "community"),
        # The list's order (registration), per city for coordinators and overall for admins:
        # a page, searched or not, is read along it instead of sorting the city.
        Index("ix_participant_city_created", "city_code", "created_at", "id"),
        Index("ix_participant_created", "created_at", "id"),
        UniqueConstraint("phone_hash", "city_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    email_encrypted: Mapped[str | None] = mapped_column(Text)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[Language] = mapped_column(str_enum(Language, 2))
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"))
    community: Mapped[Community | None] = mapped_column(str_enum(Community))
    consent_method: Mapped[ConsentMethod | None] = mapped_column(str_enum(ConsentMethod))
    consent_text_version: Mapped[str | None] = mapped_column(String(40))
    consent_given_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    # An unrecognised SMS reply gets a hint at most once a day.
    reply_hint_sent_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )

    @property
    def has_consent(self) -> bool:
        return self.consent_given_at is not None and self.erased_at is None
