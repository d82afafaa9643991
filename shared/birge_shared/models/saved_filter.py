"""A participant filter a coordinator saved under a name, to apply again or to invite from.

It belongs to a city like the participants it selects, and holds only structured criteria
(language, community, opt-out, invitation history): never a typed name or phone number, so
the row carries no personal data and needs no encryption.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, utcnow


class SavedFilter(Base):
    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("city_code", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The unique (city, name) index also serves the list of one city's filters.
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"))
    name: Mapped[str] = mapped_column(String(80))
    #: The API's `FilterCriteria` as JSON: only the keys that were set.
    criteria: Mapped[dict[str, Any]]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
