"""A results-framework indicator: a named formula over the report figures, with its target.

An administrator defines the programme's indicators once; the reports compute them per city
and period. The row holds only aggregates' names and numbers, never personal data.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, str_enum, utcnow


class IndicatorUnit(enum.StrEnum):
    """How a value reads: a share shown as a percentage, a count, or a mean on a scale."""

    PERCENT = "percent"
    COUNT = "count"
    MEAN = "mean"


class IndicatorPeriod(enum.StrEnum):
    """The periods an indicator is reported over, in local dates."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Indicator(Base):
    __tablename__ = "indicator"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The results framework's own reference, unique, e.g. `OUT-1.2`.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Per language code (ky, ru, en); the console falls back to English, then any.
    name: Mapped[dict[str, str]]
    #: The expression as typed, checked by `birge_shared.indicator_formula` before saving.
    formula: Mapped[str] = mapped_column(String(500))
    unit: Mapped[IndicatorUnit] = mapped_column(str_enum(IndicatorUnit, 10))
    target: Mapped[float] = mapped_column(Float)
    #: City code → target, for cities whose target differs from `target`.
    city_targets: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    period: Mapped[IndicatorPeriod] = mapped_column(str_enum(IndicatorPeriod, 10))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
