from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, utcnow


class PeriodicRun(Base):
    """One claimed slot of a periodic task.

    A periodic task inserts (name, slot) before it works; the primary key lets only the first
    insert win, so a second beat started by mistake cannot make the work run twice.
    """

    __tablename__ = "periodic_run"

    task_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
