from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.enums import Language


class TemplateCategory(enum.StrEnum):
    """Meta's categories of a WhatsApp template, which set what a conversation costs."""

    UTILITY = "utility"
    MARKETING = "marketing"
    AUTHENTICATION = "authentication"


class TemplateApproval(enum.StrEnum):
    """Where WhatsApp's review of a template stands, as Twilio's Content API reports it."""

    UNSUBMITTED = "unsubmitted"
    PENDING = "pending"  # Twilio's `received` and `pending`
    APPROVED = "approved"
    REJECTED = "rejected"
    PAUSED = "paused"
    DISABLED = "disabled"


class WhatsAppTemplate(TimestampMixin, Base):
    """A Twilio Content template a WhatsApp message of one purpose in one language goes as.

    An administrator registers the template's `content_sid` (`HX…`) with the names of its
    variables in order (`{{1}}`, `{{2}}`… are filled from them) and its quick-reply buttons;
    `approval` is synced from the Content API and only an approved template is ever used.
    There is one template per purpose and language.
    """

    __tablename__ = "whatsapp_template"
    __table_args__ = (UniqueConstraint("purpose", "language"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    purpose: Mapped[str] = mapped_column(String(40))
    language: Mapped[Language] = mapped_column(str_enum(Language, length=2))
    content_sid: Mapped[str] = mapped_column(String(34), unique=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    category: Mapped[TemplateCategory] = mapped_column(str_enum(TemplateCategory))
    #: The names of the values the template's `{{1}}`, `{{2}}`… take, in order
    #: (`title`, `starts`, `venue`, `link`…).
    variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The ids of its quick-reply buttons (`accept`, `decline`, a survey's answers), which a
    #: button reply carries back as its payload.
    buttons: Mapped[list[str]] = mapped_column(JSON, default=list)
    approval: Mapped[TemplateApproval] = mapped_column(
        str_enum(TemplateApproval), default=TemplateApproval.UNSUBMITTED
    )
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None]
