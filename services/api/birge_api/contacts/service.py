"""The contact ledger's report: per city and month, from the rollups only.

The ledger's pairs are never read here: every figure comes from `contact_rollup`, which is kept
when pairs are recorded and never decremented. Small cells follow the reports' rule
(`birge_api.reports.cells`): one city × month is the cell, and a figure resting on one to four
people or pairs is withheld; the distribution is withheld whole when any of its bands is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.contacts.schemas import ContactDistribution, ContactMonth, ContactsReport
from birge_api.deps import Actor
from birge_api.reports.cells import large
from birge_api.reports.figures import figure
from birge_shared.models import ContactRollup


@dataclass(frozen=True)
class ContactFilter:
    city: str | None = None
    month_from: str | None = None  # YYYY-MM, included
    month_to: str | None = None  # YYYY-MM, included


def contacts_report(*, session: Session, actor: Actor, filters: ContactFilter) -> ContactsReport:
    query = select(ContactRollup)
    if actor.cities is not None:
        query = query.where(ContactRollup.city_code.in_(actor.cities))
    if filters.city:
        query = query.where(ContactRollup.city_code == filters.city)
    if filters.month_from:
        query = query.where(ContactRollup.month >= filters.month_from)
    if filters.month_to:
        query = query.where(ContactRollup.month <= filters.month_to)
    rows = session.scalars(query.order_by(ContactRollup.city_code, ContactRollup.month))
    return ContactsReport(months=[month_figures(row) for row in rows])


def distribution(row: ContactRollup) -> dict[str, int]:
    """People per band of distinct cross-group contacts, from the `reached_k` counters."""
    reached = [row.people, row.reached_1, row.reached_2, row.reached_3, row.reached_5]
    reached += [row.reached_10, 0]
    labels = ["0", "1", "2", "3-4", "5-9", "10+"]
    # Each band is those who reached its lower step but not the next one; never below zero.
    return {
        label: max(0, reached[index] - reached[index + 1]) for index, label in enumerate(labels)
    }


def month_figures(row: ContactRollup) -> ContactMonth:
    people_shown = large(row.people)
    bands = distribution(row)
    bands_shown = people_shown and row.people > 0 and all(large(n) for n in bands.values())
    return ContactMonth(
        city=row.city_code,
        month=row.month,
        participants=row.people if people_shown else None,
        participants_suppressed=not people_shown,
        cross_contact_share=figure(row.reached_1, row.people, n=row.people),
        repeated_cross_pairs=row.repeated_pairs if large(row.repeated_pairs) else None,
        repeated_suppressed=not large(row.repeated_pairs),
        distinct_cross_contacts=ContactDistribution(
            counts=bands if bands_shown else None,
            n=row.people if bands_shown else None,
            suppressed=not bands_shown,
        ),
        buddy_pairs_met_three=row.buddy_pairs_met_three
        if large(row.buddy_pairs_met_three)
        else None,
        buddy_suppressed=not large(row.buddy_pairs_met_three),
    )
