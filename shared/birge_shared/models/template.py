from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, str_enum, utcnow
from birge_shared.models.enums import Language


class MessageTemplate(Base):
    """The text of one kind of message in one language; admins edit it through the API."""

    __tablename__ = "message_template"

    purpose: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[Language] = mapped_column(str_enum(Language, 2), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
