"""The daily SMS segment budget of a city: how many invitation segments it may release a day.

A batch is counted on the local day it is released (created within the budget, or approved),
with the segments estimated when it was made. A batch that would take the city's day past
`SMS_DAILY_SEGMENT_BUDGET` is held for an administrator instead of being sent; 0 means no limit.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import BatchStatus, City, Event, InvitationBatch


def local_day(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The start and end (aware) of the local calendar day around `now` in `timezone`."""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return start, end


def released_today(*, session: Session, city: City, now: datetime) -> int:
    """Segments of the city's batches released on the local day of `now`."""
    start, end = local_day(now, city.timezone)
    total = session.scalar(
        select(func.coalesce(func.sum(InvitationBatch.segments), 0))
        .join(Event, InvitationBatch.event_id == Event.id)
        .where(
            Event.city_code == city.code,
            InvitationBatch.status == BatchStatus.QUEUED,
            InvitationBatch.released_at >= start,
            InvitationBatch.released_at < end,
        )
    )
    return int(total or 0)


def over_budget(
    *, session: Session, city_code: str, segments: int, budget: int, now: datetime
) -> bool:
    """Would releasing `segments` more today take the city past `budget`? Never when 0.

    The city row is locked first: two batches of one city (for different events) then count
    one after the other, and cannot both fit into the last of the day's budget.
    """
    if budget == 0:
        return False
    city = session.scalar(select(City).where(City.code == city_code).with_for_update())
    if city is None:
        raise LookupError("the event's city is unknown")
    return released_today(session=session, city=city, now=now) + segments > budget
