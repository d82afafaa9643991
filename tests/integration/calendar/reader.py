"""Reading calendar files back with vobject, an iCalendar reader independent of the writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import vobject


@dataclass(frozen=True)
class ReadCalendar:
    #: The calendar with dates as aware datetimes (vobject resolves each TZID by its VTIMEZONE).
    calendar: Any
    #: Every TZID that a DTSTART or DTEND names, read from the untransformed file.
    tzids_used: frozenset[str]
    #: Every TZID that a VTIMEZONE defines.
    tzids_defined: frozenset[str]

    @property
    def method(self) -> str:
        return str(self.calendar.method.value)

    @property
    def vevents(self) -> list[Any]:
        return list(self.calendar.contents.get("vevent", []))


def read_ics(body: bytes | str) -> ReadCalendar:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    raw = vobject.readOne(text, transform=False)
    used = {
        tzid
        for vevent in raw.contents.get("vevent", [])
        for name in ("dtstart", "dtend")
        for tzid in getattr(vevent, name).params.get("TZID", [])
    }
    defined = {tz.tzid.value for tz in raw.contents.get("vtimezone", [])}
    return ReadCalendar(
        calendar=vobject.readOne(text),
        tzids_used=frozenset(used),
        tzids_defined=frozenset(defined),
    )
