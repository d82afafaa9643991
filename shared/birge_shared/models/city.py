from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base

BISHKEK_TZ = "Asia/Bishkek"


class City(Base):
    __tablename__ = "city"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default=BISHKEK_TZ)
