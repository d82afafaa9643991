from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from birge_api.fields import ONE_LINE, BoundedDatetime, SingleLine
from birge_shared import survey_items
from birge_shared.calendar import FEED_PUBLISHES, feed_lists
from birge_shared.followup import (
    MAX_REMINDER_OFFSET_MINUTES,
    MAX_REMINDERS,
    MAX_SURVEY_DELAY_MINUTES,
    MIN_REMINDER_OFFSET_MINUTES,
)
from birge_shared.formats import activity_format
from birge_shared.models import (
    ActivityFormat,
    ActivityType,
    Event,
    EventStatus,
    EventVisibility,
    Language,
    utcnow,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = SingleLine


class _Strict(BaseModel):
    # Unknown fields are refused rather than ignored: a misspelt field must not silently
    # leave the old value in place.
    model_config = ConfigDict(extra="forbid")


class Venue(_Strict):
    name: ShortText
    address: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), ONE_LINE
    ]
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


def _answer_by_before_start(answer_by: datetime | None, info: ValidationInfo) -> datetime | None:
    starts_at = info.data.get("starts_at")
    if starts_at is not None and answer_by is not None and answer_by >= starts_at:
        raise ValueError("answer_by must be before starts_at")
    return answer_by


AnswerBy = Annotated[
    BoundedDatetime | None,
    Field(
        description=(
            "This event's own answer deadline (before the start): unanswered invitations "
            "expire then instead of by the server's rule. Anyone invited still gets at least "
            "the minimum answer window, cut only by the start."
        )
    ),
]


def _end_after_start(ends_at: datetime | None, info: ValidationInfo) -> datetime | None:
    # A field validator (not a model validator) so the error names `ends_at`.
    starts_at = info.data.get("starts_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    return ends_at


ReminderOffset = Annotated[
    int, Field(ge=MIN_REMINDER_OFFSET_MINUTES, le=MAX_REMINDER_OFFSET_MINUTES)
]
ReminderOffsets = Annotated[
    list[ReminderOffset],
    Field(
        max_length=MAX_REMINDERS,
        description=(
            "Minutes before the start at which accepted participants are reminded; "
            "an empty list sends no reminder. A reminder that falls in quiet hours goes at "
            "the last minute before they begin."
        ),
    ),
]
SurveyDelay = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_SURVEY_DELAY_MINUTES,
        description="Minutes after the end at which attendees get the survey",
    ),
]


def _distinct_offsets(offsets: list[int] | None) -> list[int] | None:
    if offsets is None:
        return None
    if len(set(offsets)) != len(offsets):
        raise ValueError("each reminder offset may be given once")
    # Stored longest first, the order the reminders go out in.
    return sorted(offsets, reverse=True)


Visibility = Annotated[
    EventVisibility,
    Field(
        description="`public` lists the event in its city's calendar feed, which anyone may "
        "read without signing in; `private` (the default) keeps it out."
    ),
]


class PublicFeed(BaseModel):
    """What the city's public calendar feed says about this event, to anyone."""

    listed: bool = Field(description="Whether the event is in the feed now.")
    path: str = Field(description="The feed, relative to the public base URL.")
    publishes: list[str] = Field(
        description="What the feed shows of a listed event; never coordinates or anything "
        "about participants."
    )


class EventCreate(_Strict):
    city: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=40)]
    title: dict[Language, ShortText] = Field(min_length=1)
    description: dict[Language, Text] = Field(default_factory=dict)
    activity_type: ActivityType
    venue: Venue
    starts_at: BoundedDatetime
    ends_at: BoundedDatetime
    capacity: int = Field(gt=0, le=10_000)
    mix_band: MixBand = Field(default_factory=MixBand)
    reminder_offsets: ReminderOffsets = Field(default_factory=lambda: [24 * 60, 120])
    survey_delay_minutes: SurveyDelay = 60
    answer_by: AnswerBy = None
    visibility: Visibility = EventVisibility.PRIVATE

    _period = field_validator("ends_at")(_end_after_start)
    _offsets = field_validator("reminder_offsets")(_distinct_offsets)
    _answer_by = field_validator("answer_by")(_answer_by_before_start)


class EventUpdate(_Strict):
    """A partial change. Which fields notify participants is decided by the service."""

    title: dict[Language, ShortText] | None = Field(default=None, min_length=1)
    description: dict[Language, Text] | None = None
    activity_type: ActivityType | None = None
    venue: Venue | None = None
    starts_at: BoundedDatetime | None = None
    ends_at: BoundedDatetime | None = None
    capacity: int | None = Field(default=None, gt=0, le=10_000)
    mix_band: MixBand | None = None
    reminder_offsets: ReminderOffsets | None = None
    survey_delay_minutes: SurveyDelay | None = None
    # `null` removes the event's own deadline: the server's rule applies again.
    answer_by: AnswerBy = None
    visibility: Visibility | None = None

    _period = field_validator("ends_at")(_end_after_start)
    _offsets = field_validator("reminder_offsets")(_distinct_offsets)
    _answer_by = field_validator("answer_by")(_answer_by_before_start)


#: The longest cancellation reason: it goes into every cancellation SMS, so it stays short.
MAX_CANCEL_REASON = 200


class EventCancel(_Strict):
    reason: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CANCEL_REASON),
        ]
        | None
    ) = Field(
        default=None,
        description="Why the event is cancelled, told to participants in the cancellation "
        f"SMS and e-mail and on their page (at most {MAX_CANCEL_REASON} characters)",
        examples=["The stadium is closed for repairs"],
    )

    @field_validator("reason")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and any(char < " " for char in value):
            raise ValueError("the reason is one line of text, without control characters")
        return value


class SurveyItemsUpdate(BaseModel):
    """The attitude items an event's surveys ask, codes of the item bank (`GET` it on
    `/v1/survey-items`); the behavioural items are asked in every follow-up anyway."""

    items: list[str] = Field(min_length=1, max_length=4)


class EventRead(BaseModel):
    id: uuid.UUID
    city: str
    title: dict[str, str]
    description: dict[str, str]
    activity_type: ActivityType
    format: ActivityFormat = Field(
        description="How people are grouped in this activity type: `competitive` teams play "
        "against each other, so each team must be mixed"
    )
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
    cancel_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    reminder_offsets: list[int] = Field(description="Minutes before the start")
    survey_delay_minutes: int = Field(description="Minutes after the end")
    survey_items: list[str] = Field(
        default_factory=lambda: list(survey_items.DEFAULT_CHOICE),
        description="Attitude items of the item bank the surveys ask (pre, post, follow-up).",
    )
    answer_by: datetime | None = Field(
        default=None, description="UTC; the event's own answer deadline, if it has one"
    )
    visibility: EventVisibility
    public_feed: PublicFeed
    checkin_code: str | None = Field(
        default=None,
        description=(
            "The code participants type on their page to check in; shown to coordinators "
            "and admins only"
        ),
    )


def event_read(event: Event, *, show_checkin_code: bool = False) -> EventRead:
    zone = ZoneInfo(event.city.timezone)
    return EventRead(
        id=event.id,
        city=event.city_code,
        title=event.title,
        description=event.description,
        activity_type=event.activity_type,
        format=activity_format(event.activity_type),
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
        cancel_reason=event.cancel_reason,
        created_at=event.created_at,
        updated_at=event.updated_at,
        reminder_offsets=list(event.reminder_offsets),
        survey_delay_minutes=event.survey_delay_minutes,
        survey_items=[item.code for item in survey_items.chosen(event.survey_items)],
        answer_by=event.answer_by.astimezone(UTC) if event.answer_by is not None else None,
        visibility=event.visibility,
        public_feed=PublicFeed(
            listed=feed_lists(event, now=utcnow()),
            path=f"/calendars/{event.city_code}.ics",
            publishes=list(FEED_PUBLISHES),
        ),
        checkin_code=event.checkin_code if show_checkin_code else None,
    )
