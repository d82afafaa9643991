"""The reports page's contact section: the contact ledger's figures per city and month.

Read through the API's own service (`birge_api.contacts`), so the console shows exactly the
figures and suppression of `GET /v1/reports/contacts`, for every role, viewers included.
"""

from __future__ import annotations

from typing import Any

from birge_api.contacts import service
from birge_console.context import Console

#: The distribution's bands in the order the table shows them.
BANDS = ("0", "1", "2", "3-4", "5-9", "10+")


def section(console: Console, *, city: str, date_from: str, date_to: str) -> dict[str, Any]:
    """The months the report filter's city and dates cover (a date's month, both ends in)."""
    report = service.contacts_report(
        session=console.db,
        actor=console.actor,
        filters=service.ContactFilter(
            city=city or None, month_from=date_from[:7] or None, month_to=date_to[:7] or None
        ),
    )
    return {"contact_months": report.months, "contact_bands": BANDS}
