from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, utcnow


class ImportUpload(Base):
    """A participant list held between the steps of the console's import wizard.

    The file is personal data: its bytes and its name are kept only encrypted with the PII key,
    it belongs to the user who uploaded it, and it is deleted once imported or when it expires.
    """

    __tablename__ = "import_upload"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    filename_encrypted: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(200))
    content_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
