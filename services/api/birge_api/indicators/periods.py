"""Reporting periods named as the results framework names them: `2026`, `2026-Q4`, `2026-11`.

Periods are local dates (both cities keep Bishkek time), both ends included, as the reports'
own date filters are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from birge_shared.models import IndicatorPeriod

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    kind: IndicatorPeriod
    label: str
    first: date
    last: date

    def months(self) -> list[str]:
        """The `YYYY-MM` months the period covers, as the contact rollups key them."""
        labels: list[str] = []
        year, month = self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            labels.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return labels


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def month(year: int, number: int) -> Period:
    return Period(
        IndicatorPeriod.MONTH,
        f"{year:04d}-{number:02d}",
        date(year, number, 1),
        _month_end(year, number),
    )


def quarter(year: int, number: int) -> Period:
    first_month = 3 * (number - 1) + 1
    return Period(
        IndicatorPeriod.QUARTER,
        f"{year:04d}-Q{number}",
        date(year, first_month, 1),
        _month_end(year, first_month + 2),
    )


def year(number: int) -> Period:
    return Period(IndicatorPeriod.YEAR, f"{number:04d}", date(number, 1, 1), date(number, 12, 31))


def parse_period(text: str) -> Period | None:
    """The period a label names, or None when it names none (or a year outside 2000–2199)."""
    match = _PATTERN.match(text.strip())
    if match is None or not 2000 <= int(match["year"]) <= 2199:
        return None
    number = int(match["year"])
    if match["quarter"]:
        return quarter(number, int(match["quarter"]))
    if match["month"]:
        return month(number, int(match["month"]))
    return year(number)


def containing(kind: IndicatorPeriod, day: date) -> Period:
    """The period of the given kind that holds `day`."""
    if kind is IndicatorPeriod.MONTH:
        return month(day.year, day.month)
    if kind is IndicatorPeriod.QUARTER:
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year(day.year)
