"""Indicators as the API reads and writes them, and their values per city and period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from birge_shared.models import IndicatorPeriod, IndicatorUnit

_CODE = Field(
    min_length=1,
    max_length=40,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    description="The results framework's reference, unique: letters, digits, `.`, `_`, `-`.",
)
#: A target as typed: finite, and far from the edges of a float.
Target = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
CityTargets = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Target],
    Field(max_length=20),
]
_NAME = Field(
    description="Per language code (`ky`, `ru`, `en`); English is required, up to 200 "
    "characters each.",
)
_FORMULA = Field(
    min_length=1,
    max_length=500,
    description="Numbers, `+ - * /`, parentheses and the figure names of "
    "`GET /v1/indicators/figures`.",
    examples=["participants_attended / participants_invited * 100"],
)


class IndicatorName(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ky: str | None = Field(default=None, max_length=200)
    ru: str | None = Field(default=None, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class IndicatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = _CODE
    name: IndicatorName = _NAME
    formula: str = _FORMULA
    unit: IndicatorUnit
    target: Target
    city_targets: CityTargets = Field(
        default_factory=dict, description="City code → target, for cities whose target differs."
    )
    period: IndicatorPeriod = IndicatorPeriod.QUARTER


class IndicatorUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(
        default=None, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    )
    name: IndicatorName | None = None
    formula: str | None = Field(default=None, min_length=1, max_length=500)
    unit: IndicatorUnit | None = None
    target: Target | None = None
    city_targets: CityTargets | None = None
    period: IndicatorPeriod | None = None


class IndicatorRead(BaseModel):
    id: uuid.UUID
    code: str
    name: dict[str, str]
    formula: str
    figures: list[str] = Field(description="The figure names the formula reads, in order.")
    unit: IndicatorUnit
    target: float
    city_targets: dict[str, float]
    period: IndicatorPeriod
    created_by_id: uuid.UUID | None
    updated_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class FormulaCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formula: str = Field(max_length=2000)


class FormulaChecked(BaseModel):
    """A formula that parses; a refused one is a 422 problem instead."""

    formula: str
    figures: list[str]


class FigureRead(BaseModel):
    name: str
    description: str


class IndicatorValue(BaseModel):
    """One indicator for one city and period."""

    indicator_id: uuid.UUID
    code: str
    city: str
    period: str = Field(description="`YYYY`, `YYYY-Qn` or `YYYY-MM`", examples=["2026-Q4"])
    unit: IndicatorUnit
    value: float | None = Field(
        description="Null when not available: an input figure is suppressed or undefined, or "
        "a divisor is zero."
    )
    target: float = Field(description="The city's own target, or the indicator's.")
    progress: float | None = Field(
        description="value / target; null when either is not available or the target is 0."
    )
    suppressed: bool = Field(
        description="True when an input figure is withheld by small-cell suppression."
    )


class IndicatorValues(BaseModel):
    values: list[IndicatorValue]
