"""GET /v1/reports/contacts: the contact ledger's figures per city and month, for every role
(aggregates only, like the other reports)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from birge_api.contacts import service
from birge_api.contacts.schemas import ContactsReport
from birge_api.deps import Reader, SessionDep
from birge_api.reports.router import CityQuery

router = APIRouter(tags=["reports"])

Month = Annotated[
    str | None,
    Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="`YYYY-MM`, included"),
]


@router.get(
    "/v1/reports/contacts",
    responses={
        401: {"description": "No or invalid token"},
        422: {"description": "Invalid input; `errors` names the fields"},
    },
)
def contacts_report(
    session: SessionDep,
    actor: Reader,
    city: CityQuery = None,
    month_from: Annotated[Month, Query(alias="from")] = None,
    month_to: Annotated[Month, Query(alias="to")] = None,
) -> ContactsReport:
    """Per city and month: people with a recorded group contact, the share of them with a
    cross-group contact, cross-group pairs who met again, and people by their number of
    distinct cross-group contacts. Small cells are withheld as in every report."""
    return service.contacts_report(
        session=session,
        actor=actor,
        filters=service.ContactFilter(city=city, month_from=month_from, month_to=month_to),
    )
