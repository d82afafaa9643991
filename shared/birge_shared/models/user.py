from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.city import City
from birge_shared.models.enums import Language, Role

user_city = Table(
    "user_city",
    Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("city_code", ForeignKey("city.code", ondelete="CASCADE"), primary_key=True),
)


class User(TimestampMixin, Base):
    """Programme staff: admins, coordinators and M&E viewers (never participants)."""

    __tablename__ = "app_user"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Carried in every access token and checked on each request: raising it (on deactivation,
    # a change of role, cities or password) revokes every token issued before.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The console's language for this person (ky, ru or en); None: the browser's choice.
    language: Mapped[Language | None] = mapped_column(str_enum(Language))
    cities: Mapped[list[City]] = relationship(secondary=user_city, lazy="selectin")

    @property
    def city_codes(self) -> frozenset[str]:
        return frozenset(city.code for city in self.cities)
