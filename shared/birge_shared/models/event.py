from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from birge_shared.models.base import Base, TimestampMixin, str_enum
from birge_shared.models.city import City
from birge_shared.models.enums import ActivityType, EventStatus, EventVisibility


class Event(TimestampMixin, Base):
    """One intergroup activity at one time and place."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("min_share >= 0 AND min_share <= 0.5", name="min_share_range"),
        CheckConstraint(
            "answer_by IS NULL OR answer_by < starts_at", name="answer_by_before_start"
        ),
        Index("ix_event_city_starts", "city_code", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"))
    # Per-language texts: {"ky": "...", "ru": "...", "en": "..."}, at least one language.
    title: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    activity_type: Mapped[ActivityType] = mapped_column(str_enum(ActivityType, 30))
    venue_name: Mapped[str] = mapped_column(String(200))
    venue_address: Mapped[str] = mapped_column(String(500))
    venue_latitude: Mapped[float | None] = mapped_column(Float)
    venue_longitude: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    # Each declared community's minimum share of confirmed seats (the mix band is
    # [min_share, 1 - min_share] for two communities).
    min_share: Mapped[float] = mapped_column(Float, default=0.4)
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus), default=EventStatus.SCHEDULED
    )
    # Only public events are listed in the city's feed, which anyone may read; private is the
    # default because a feed tells everyone where migrants and hosts meet.
    visibility: Mapped[EventVisibility] = mapped_column(
        str_enum(EventVisibility, 10),
        default=EventVisibility.PRIVATE,
        server_default=EventVisibility.PRIVATE.value,
    )
    # Calendar SEQUENCE: grows with every change participants must hear about.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None]
    # The coordinator's own answer deadline for this event, instead of the settings' rule;
    # a person invited still gets at least the minimum answer window (see `answer_deadline`).
    answer_by: Mapped[datetime | None]
    # The coordinator's reason, told to participants in the cancellation and on their page.
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    #: What participants last heard (title, place, time), kept from the first change that
    #: notifies until its settled notice goes out; None when nothing is waiting to be told.
    change_base: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Minutes before the start at which accepted participants are reminded.
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=lambda: [24 * 60, 120])
    # Minutes after the end at which attendees get the post-event survey.
    survey_delay_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # The attitude items of the item bank the surveys ask (`birge_shared.survey_items`);
    # None asks the default, the 1–5 attitude item.
    survey_items: Mapped[list[str] | None] = mapped_column(JSON)
    # The short code participants type on their page to check in during the event.
    checkin_code: Mapped[str | None] = mapped_column(String(12))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )

    city: Mapped[City] = relationship(lazy="joined")
