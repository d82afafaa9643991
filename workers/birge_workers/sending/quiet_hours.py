"""Quiet hours: the local night during which Birge's own messages wait for the morning.

The window is read in the local time of the event's city, because that is where the phone
rings. A window whose start is after its end (21:00–09:00) crosses midnight; equal start and
end means no quiet hours at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: time, *, start: time, end: time) -> bool:
    """Is the local wall-clock time `local` inside the quiet window [start, end)?"""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(moment: datetime, *, timezone: str, start: time, end: time) -> datetime | None:
    """When the quiet hours around `moment` end (aware UTC), or None outside quiet hours."""
    if moment.tzinfo is None:
        raise ValueError("quiet hours need an aware moment")
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    if not in_quiet_hours(local.time(), start=start, end=end):
        return None
    day = local.date()
    # Before midnight in a window that crosses it, the window ends tomorrow morning.
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    # Built from the wall-clock time, not by adding hours, so a clock change in the night
    # still ends the wait at the local time people expect.
    ends = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
    if ends <= moment:
        # A local end time that a clock change skips can map to before `moment`: wait an hour
        # and look again rather than going back in time.
        return moment.astimezone(UTC) + timedelta(hours=1)
    return ends
