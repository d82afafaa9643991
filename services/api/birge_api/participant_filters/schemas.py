"""Saved participant filters: what is sent and what is answered.

The criteria are the structured part of the participants list's filters. A name or phone
search term is personal data (what someone typed to find one person), so it has no place in
a saved filter: `extra="forbid"` refuses `name` and `phone` with a 422, and the city is the
filter's own, not a criterion.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from birge_api.fields import ONE_LINE
from birge_shared.models import Community, Language, SavedFilter

FilterName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), ONE_LINE
]
Days = Annotated[int, Field(ge=1, le=3650)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FilterCriteria(_Strict):
    """Who the filter selects within its city; every criterion left out means any."""

    language: Language | None = None
    community: Community | None = None
    opted_out: bool | None = Field(
        default=None, description="Only those who sent STOP (true) or only those who did not."
    )
    invited_within_days: Days | None = Field(
        default=None, description="Only people invited in the last N days."
    )
    not_invited_within_days: Days | None = Field(
        default=None, description="Only people not invited in the last N days."
    )

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        if self.invited_within_days is not None and self.not_invited_within_days is not None:
            raise ValueError("give invited_within_days or not_invited_within_days, not both")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept in the row: only what was set, enums as their codes."""
        return self.model_dump(mode="json", exclude_none=True)


class SavedFilterCreate(_Strict):
    name: FilterName
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    criteria: FilterCriteria = Field(default_factory=FilterCriteria)


class SavedFilterUpdate(_Strict):
    """A new name, new criteria, or both; what is left out stays."""

    name: FilterName | None = None
    criteria: FilterCriteria | None = None


class SavedFilterRead(BaseModel):
    id: uuid.UUID
    city: str
    name: str
    criteria: FilterCriteria
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


def criteria_of(saved: SavedFilter) -> FilterCriteria:
    return FilterCriteria.model_validate(saved.criteria)


def saved_filter_read(saved: SavedFilter) -> SavedFilterRead:
    return SavedFilterRead(
        id=saved.id,
        city=saved.city_code,
        name=saved.name,
        criteria=criteria_of(saved),
        created_by_id=saved.created_by_id,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
    )
