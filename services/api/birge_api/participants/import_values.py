"""Cell values as spreadsheets in Kyrgyzstan write them, turned into what the schema reads.

A spreadsheet cannot hold a UTC offset: a date typed as `20.11.2026 10:00`, a date cell, or a
date alone is the local time of the row's city, and becomes an aware instant here.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

# `20.11.2026`, `20.11.2026 10:00`, `1.2.2026 9:05:30`: the form Russian and Kyrgyz locales use.
_LOCAL_DATE = re.compile(
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


def _local(raw: str) -> datetime | None:
    match = _LOCAL_DATE.fullmatch(raw)
    if match is None:
        return None
    parts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
    try:
        return datetime(  # noqa: DTZ001 - the city's zone is attached by the caller
            parts["year"],
            parts["month"],
            parts["day"],
            parts.get("hour", 0),
            parts.get("minute", 0),
            parts.get("second", 0),
        )
    except ValueError:
        return None


def local_instant(raw: str, zone: ZoneInfo) -> datetime | None:
    """The instant a date cell's text names, read in `zone` when it carries no offset.

    None when the text is not a date in a form read here; the schema then reports it.
    """
    text = raw.strip()
    value = _local(text)
    if value is None:
        try:
            # ISO forms, as date cells arrive (`2026-11-20T10:00:00`, `2026-11-20`) or typed
            # with an offset (`2026-11-20T10:00:00+06:00`).
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)
