"""When reminders go: start minus offset, moved before quiet hours, the latest due one only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from birge_shared.followup import parse_reminder_key, reminder_dedupe_key
from birge_shared.models import City, Event
from birge_workers.reminders import due_offset, last_allowed_time, reminder_time
from birge_workers.sending.quiet_hours import in_quiet_hours

BISHKEK = ZoneInfo("Asia/Bishkek")
NIGHT = {"start": time(21, 0), "end": time(9, 0)}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=BISHKEK)


def event_at(starts_at: datetime, offsets: list[int] | None = None) -> Event:
    return Event(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        reminder_offsets=[1440, 120] if offsets is None else offsets,
        city=City(code="bishkek", name="Bishkek", timezone="Asia/Bishkek"),
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(10, 18, 0), local(10, 18, 0)),  # outside quiet hours: unchanged
        (local(10, 20, 59), local(10, 20, 59)),
        (local(10, 21, 0), local(10, 20, 59)),  # the first quiet minute: the minute before
        (local(10, 23, 30), local(10, 20, 59)),
        (local(11, 0, 0), local(10, 20, 59)),  # after midnight: the evening before
        (local(11, 7, 30), local(10, 20, 59)),
        (local(11, 8, 59), local(10, 20, 59)),
        (local(11, 9, 0), local(11, 9, 0)),  # quiet hours are over
    ],
)
def test_the_last_allowed_time_is_one_minute_before_the_quiet_hours(
    moment: datetime, expected: datetime
) -> None:
    assert last_allowed_time(moment, timezone="Asia/Bishkek", **NIGHT) == expected


def test_a_0930_event_is_reminded_at_0930_the_day_before_and_at_2059_the_evening_before() -> None:
    starts = local(11, 9, 30)
    assert reminder_time(starts, 1440, timezone="Asia/Bishkek", **NIGHT) == local(10, 9, 30)
    # 07:30 is inside 21:00–09:00: the last allowed minute before it is 20:59 the evening before.
    assert reminder_time(starts, 120, timezone="Asia/Bishkek", **NIGHT) == local(10, 20, 59)


def test_a_window_that_does_not_cross_midnight() -> None:
    siesta = {"start": time(13, 0), "end": time(15, 0)}
    assert last_allowed_time(local(10, 14, 0), timezone="Asia/Bishkek", **siesta) == local(
        10, 12, 59
    )
    no_quiet = {"start": time(21, 0), "end": time(21, 0)}
    assert last_allowed_time(local(10, 23, 0), timezone="Asia/Bishkek", **no_quiet) == local(
        10, 23, 0
    )


@given(
    start=st.datetimes(
        # Hypothesis takes naive bounds and attaches the time zone itself.
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    offset=st.integers(min_value=5, max_value=14 * 24 * 60),
)
def test_a_reminder_is_never_in_quiet_hours_and_never_after_its_plain_time(
    start: datetime, offset: int
) -> None:
    at = reminder_time(start, offset, timezone="Asia/Bishkek", **NIGHT)
    assert not in_quiet_hours(at.astimezone(BISHKEK).time(), **NIGHT)
    assert at <= start - timedelta(minutes=offset)
    # Moved by at most the length of the quiet hours.
    assert start - timedelta(minutes=offset) - at <= timedelta(hours=12, minutes=1)


def test_only_the_latest_due_reminder_goes() -> None:
    event = event_at(local(11, 18, 0))

    def due(now: datetime) -> int | None:
        return due_offset(event, now=now, accepted_at=None, **NIGHT)

    assert due(local(10, 17, 59)) is None
    assert due(local(10, 18, 0)) == 1440
    assert due(local(11, 15, 59)) == 1440
    # Both are due: the 2 h reminder replaces the 24 h one that never went.
    assert due(local(11, 16, 0)) == 120
    assert due(local(11, 18, 0)) is None  # started


def test_a_reminder_due_before_the_person_accepted_is_not_sent() -> None:
    event = event_at(local(11, 18, 0))
    accepted = local(11, 8, 0)  # after the 24 h reminder's time, before the 2 h one's
    assert due_offset(event, now=local(11, 9, 0), accepted_at=accepted, **NIGHT) is None
    assert due_offset(event, now=local(11, 16, 0), accepted_at=accepted, **NIGHT) == 120
    late = local(11, 17, 0)
    assert due_offset(event, now=local(11, 17, 1), accepted_at=late, **NIGHT) is None


def test_an_event_without_offsets_gets_no_reminder() -> None:
    event = event_at(local(11, 18, 0), offsets=[])
    assert due_offset(event, now=local(11, 17, 0), accepted_at=None, **NIGHT) is None


def test_the_dedupe_key_names_the_offset_and_the_start() -> None:
    invitation_id = uuid.uuid4()
    starts = datetime(2027, 3, 11, 12, 0, tzinfo=UTC)
    key = reminder_dedupe_key(invitation_id, 120, starts)
    assert key == f"invitation:{invitation_id}:sms:reminder:120:{int(starts.timestamp())}"
    assert parse_reminder_key(key) == (120, int(starts.timestamp()))
    assert parse_reminder_key(f"invitation:{invitation_id}:invitation") is None
    assert parse_reminder_key(f"invitation:{invitation_id}:reminder:x:1") is None
    assert parse_reminder_key(None) is None
