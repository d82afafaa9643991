"""Quiet-hours arithmetic in the event city's local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from birge_workers.sending.quiet_hours import in_quiet_hours, quiet_until

BISHKEK = "Asia/Bishkek"  # UTC+6 all year, no clock changes
NIGHT = {"start": time(21, 0), "end": time(9, 0)}


def bishkek(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(BISHKEK))


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(8, 59, 59), True),
        (time(9, 0), False),
        (time(13, 0), False),
    ],
)
def test_a_window_that_crosses_midnight(local: time, quiet: bool) -> None:
    assert in_quiet_hours(local, **NIGHT) is quiet


def test_a_window_inside_one_day() -> None:
    lunch = {"start": time(13, 0), "end": time(14, 0)}
    assert not in_quiet_hours(time(12, 59), **lunch)
    assert in_quiet_hours(time(13, 0), **lunch)
    assert not in_quiet_hours(time(14, 0), **lunch)


def test_equal_start_and_end_means_no_quiet_hours() -> None:
    assert not in_quiet_hours(time(3, 0), start=time(0, 0), end=time(0, 0))
    assert quiet_until(bishkek(2026, 3, 1, 3), timezone=BISHKEK, start=time(0), end=time(0)) is None


def test_late_evening_waits_until_nine_the_next_morning() -> None:
    until = quiet_until(bishkek(2026, 12, 31, 22, 30), timezone=BISHKEK, **NIGHT)
    assert until == bishkek(2027, 1, 1, 9)
    assert until is not None
    assert until.tzinfo is UTC
    assert until == datetime(2027, 1, 1, 3, tzinfo=UTC)


def test_after_midnight_waits_until_nine_the_same_morning() -> None:
    assert quiet_until(bishkek(2026, 6, 10, 0, 15), timezone=BISHKEK, **NIGHT) == bishkek(
        2026, 6, 10, 9
    )
    assert quiet_until(bishkek(2026, 6, 10, 8, 59), timezone=BISHKEK, **NIGHT) == bishkek(
        2026, 6, 10, 9
    )


def test_outside_quiet_hours_nothing_waits() -> None:
    assert quiet_until(bishkek(2026, 6, 10, 9), timezone=BISHKEK, **NIGHT) is None
    assert quiet_until(bishkek(2026, 6, 10, 20, 59), timezone=BISHKEK, **NIGHT) is None


def test_the_window_is_read_in_the_city_s_time_not_utc() -> None:
    # 16:30 UTC is 22:30 in Bishkek (quiet) and 17:30 in London in winter (not quiet).
    moment = datetime(2026, 1, 15, 16, 30, tzinfo=UTC)
    assert quiet_until(moment, timezone=BISHKEK, **NIGHT) == datetime(2026, 1, 16, 3, tzinfo=UTC)
    assert quiet_until(moment, timezone="Europe/London", **NIGHT) is None


def test_a_night_with_a_clock_change_ends_at_local_nine() -> None:
    # Europe/Berlin moves from UTC+1 to UTC+2 in the night of 29 March 2026.
    berlin = ZoneInfo("Europe/Berlin")
    until = quiet_until(
        datetime(2026, 3, 28, 22, 0, tzinfo=berlin), timezone="Europe/Berlin", **NIGHT
    )
    assert until == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert until is not None
    assert until.astimezone(berlin).time() == time(9, 0)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        quiet_until(datetime(2026, 1, 1, 22, 0), timezone=BISHKEK, **NIGHT)  # noqa: DTZ001


@given(
    moment=st.datetimes(
        # Hypothesis takes naive bounds and attaches the time zone itself.
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    start_hour=st.integers(0, 23),
    end_hour=st.integers(0, 23),
)
def test_the_wait_ends_outside_quiet_hours_and_within_a_day(
    moment: datetime, start_hour: int, end_hour: int
) -> None:
    window = {"start": time(start_hour), "end": time(end_hour)}
    until = quiet_until(moment, timezone=BISHKEK, **window)
    if until is None:
        assert not in_quiet_hours(moment.astimezone(ZoneInfo(BISHKEK)).time(), **window)
        return
    assert moment < until <= moment + timedelta(days=1)
    assert not in_quiet_hours(until.astimezone(ZoneInfo(BISHKEK)).time(), **window)
    # The wait is as short as it can be: a minute earlier is still quiet.
    assert (
        in_quiet_hours(
            (until - timedelta(minutes=1)).astimezone(ZoneInfo(BISHKEK)).time(), **window
        )
        or until - timedelta(minutes=1) < moment
    )
