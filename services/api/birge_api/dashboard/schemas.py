"""What the dashboard shows: upcoming events with their counts, and what needs doing."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from birge_shared.models import ActivityType


class EventCounts(BaseModel):
    invited: int = Field(description="Offered a seat (every invitation but the waitlist's)")
    confirmed: int = Field(description="Accepted, or already checked in")
    declined: int
    waitlisted: int
    checked_in: int
    confirmed_host: int = Field(description="Confirmed members of the host community")
    confirmed_migrant: int = Field(description="Confirmed migrants")


class UpcomingEvent(BaseModel):
    id: uuid.UUID
    city: str
    timezone: str
    title: dict[str, str]
    activity_type: ActivityType
    starts_at: datetime = Field(description="UTC")
    capacity: int
    min_share: float = Field(description="The mix band: each community's minimum share")
    counts: EventCounts
    in_band: bool = Field(description="Whether the confirmed mix lies inside the band")


class TodoKind(enum.StrEnum):
    FAILED_DELIVERIES = "failed_deliveries"
    AWAITING_APPROVAL = "awaiting_approval"
    FEW_CONFIRMED = "few_confirmed"
    OUTSIDE_BAND = "outside_band"
    SHORT_WINDOW = "short_window"
    INBOX = "inbox"


class TodoItem(BaseModel):
    kind: TodoKind
    count: int = Field(description="Messages, batches, confirmations or texts, by kind")
    event_id: uuid.UUID | None = Field(default=None, description="None for the inbox")
    city: str | None = None
    timezone: str | None = None
    title: dict[str, str] | None = None
    starts_at: datetime | None = None
    capacity: int | None = None


class DashboardRead(BaseModel):
    upcoming: list[UpcomingEvent]
    todo: list[TodoItem] = Field(
        description="Most urgent first: by kind, then by start; at most 10 of each kind"
    )
    todo_totals: dict[TodoKind, int] = Field(
        description="How many items of each kind there are, including those not listed"
    )
    horizon_days: int = Field(description="How far ahead the to-do list looks at events")
