"""Annotated input types every edge uses, so a bad value is a 422 naming its field.

- `BoundedDatetime`: an aware datetime between 2000 and 2199 (UTC). Anything at the ends of
  the calendar (`9999-12-31T23:59:59-12:00`) overflows when converted to UTC for storage or
  comparison; the programme's life lies well inside the bounds.
- `SingleLine`: text for one-line fields (titles, venue, names). Control characters — CR and
  LF above all — and the Unicode line and paragraph separators are refused: a line break in a
  title breaks the e-mail header it is put in, and a calendar's SUMMARY.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
BOUNDS_MESSAGE = "must lie between 2000-01-01 and 2199-12-31 (UTC)"
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def within_bounds(value: datetime) -> bool:
    """Whether an aware datetime lies inside the bounds; never raises, even at year 9999."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return False
    return EARLIEST <= utc <= LATEST


def _bounded(value: datetime) -> datetime:
    if not within_bounds(value):
        raise ValueError(BOUNDS_MESSAGE)
    return value


def _single_line(value: str) -> str:
    if any(unicodedata.category(character) in _LINE_BREAKING for character in value):
        raise ValueError("must be one line, without control characters")
    return value


BoundedDatetime = Annotated[AwareDatetime, AfterValidator(_bounded)]
#: The check alone, to put after a field's own StringConstraints (pydantic applies length
#: limits before stripping when the constraints come after a validator).
ONE_LINE = AfterValidator(_single_line)
#: A title or a name: stripped, 1–200 characters, one line.
SingleLine = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), ONE_LINE
]
