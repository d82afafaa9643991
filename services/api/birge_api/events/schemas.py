from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from birge_shared.models import ActivityType, Event, EventStatus, Language

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    # Unknown fields are refused rather than ignored: a misspelt field must not silently
    # leave the old value in place.
    model_config = ConfigDict(extra="forbid")


class Venue(_Strict):
    name: ShortText
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates_or_none(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class MixBand(_Strict):
    min_share: float = Field(
        default=0.4,
        ge=0,
        le=0.5,
        description="Each community's minimum share of confirmed seats, between 0 and 0.5.",
    )


def _end_after_start(ends_at: datetime | None, info: ValidationInfo) -> datetime | None:
    # A field validator (not a model validator) so the error names `ends_at`.
    starts_at = info.data.get("starts_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    return ends_at


class EventCreate(_Strict):
    city: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=40)]
    title: dict[Language, ShortText] = Field(min_length=1)
    description: dict[Language, Text] = Field(default_factory=dict)
    activity_type: ActivityType
    venue: Venue
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(gt=0, le=10_000)
    mix_band: MixBand = Field(default_factory=MixBand)

    _period = field_validator("ends_at")(_end_after_start)


class EventUpdate(_Strict):
    """A partial change. Which fields notify participants is decided by the service."""

    title: dict[Language, ShortText] | None = Field(default=None, min_length=1)
    description: dict[Language, Text] | None = None
    activity_type: ActivityType | None = None
    venue: Venue | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    capacity: int | None = Field(default=None, gt=0, le=10_000)
    mix_band: MixBand | None = None

    _period = field_validator("ends_at")(_end_after_start)


class EventRead(BaseModel):
    id: uuid.UUID
    city: str
    title: dict[str, str]
    description: dict[str, str]
    activity_type: ActivityType
    venue: Venue
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    starts_at_local: datetime = Field(description="In the city's time zone (Asia/Bishkek)")
    ends_at_local: datetime
    timezone: str
    capacity: int
    mix_band: MixBand
    status: EventStatus
    sequence: int
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime


def event_read(event: Event) -> EventRead:
    zone = ZoneInfo(event.city.timezone)
    return EventRead(
        id=event.id,
        city=event.city_code,
        title=event.title,
        description=event.description,
        activity_type=event.activity_type,
        venue=Venue(
            name=event.venue_name,
            address=event.venue_address,
            latitude=event.venue_latitude,
            longitude=event.venue_longitude,
        ),
        starts_at=event.starts_at.astimezone(UTC),
        ends_at=event.ends_at.astimezone(UTC),
        starts_at_local=event.starts_at.astimezone(zone),
        ends_at_local=event.ends_at.astimezone(zone),
        timezone=event.city.timezone,
        capacity=event.capacity,
        mix_band=MixBand(min_share=event.min_share),
        status=event.status,
        sequence=event.sequence,
        cancelled_at=event.cancelled_at,
        created_at=event.created_at,
        updated_at=event.updated_at,
    )
