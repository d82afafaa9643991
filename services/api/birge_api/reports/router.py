"""Impact reports and exports under /v1/reports; the retention review under /v1/retention.

Reports are for every role (`Reader`), viewers included: they hold aggregates only. The review
list names participants by id, so it is for administrators, who decide about erasure.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from birge_api.cities import CityFilter, city_code
from birge_api.deps import Actor, Admin, Reader, SessionDep, SettingsDep
from birge_api.pagination import CursorQuery, LimitQuery, Page
from birge_api.reports import service
from birge_api.reports.dataset.download import dataset_download
from birge_api.reports.dataset.service import Evaluator
from birge_api.reports.export import ExportFormat, export_events
from birge_api.reports.schemas import EventReport, ReviewItem, SummaryReport
from birge_shared.models import ActivityType, Community, utcnow

router = APIRouter(tags=["reports"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such event in your cities"},
    422: {"description": "Invalid input; `errors` names the fields"},
}

CityQuery = Annotated[
    str | None,
    Query(max_length=40, description="A city code; cities you are not assigned to add nothing."),
    AfterValidator(city_code),
]


# Dates far outside the programme's life are refused as input errors: at the ends of the
# calendar, converting a local midnight to UTC would overflow.
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


def report_filter(
    city: CityQuery = None,
    date_from: Annotated[
        date | None,
        Query(
            alias="from", ge=EARLIEST, le=LATEST, description="First local start date, included."
        ),
    ] = None,
    date_to: Annotated[
        date | None,
        Query(alias="to", ge=EARLIEST, le=LATEST, description="Last local start date, included."),
    ] = None,
    activity_type: ActivityType | None = None,
    community: Annotated[
        Community | None,
        Query(description="Participants of, and answers given as, this community only."),
    ] = None,
) -> service.ReportFilter:
    return service.ReportFilter(
        city=city or None,
        date_from=date_from,
        date_to=date_to,
        activity_type=activity_type,
        community=community,
    )


Filters = Annotated[service.ReportFilter, Depends(report_filter)]


@router.get("/v1/reports/events", responses=_PROBLEMS)
def list_event_reports(
    session: SessionDep,
    actor: Reader,
    filters: Filters,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[EventReport]:
    """One report per event in the filters and your cities, newest first, a page at a time.

    The figures and their suppression are those of `GET /v1/reports/events/{event_id}`; the
    exports hold every event at once.
    """
    page = service.event_reports_page(
        session=session, actor=actor, filters=filters, limit=limit, after=cursor
    )
    return Page(items=page.items, next_cursor=page.next_cursor)


@router.get("/v1/reports/events/{event_id}", responses=_PROBLEMS)
def get_event_report(event_id: uuid.UUID, session: SessionDep, actor: Reader) -> EventReport:
    return service.event_report(session=session, actor=actor, event_id=event_id)


@router.get("/v1/reports/summary", responses=_PROBLEMS)
def get_summary(session: SessionDep, actor: Reader, filters: Filters) -> SummaryReport:
    return service.summary_report(session=session, actor=actor, filters=filters)


def _download(
    session: Session, actor: Actor, filters: service.ReportFilter, fmt: ExportFormat
) -> Response:
    export = export_events(session=session, actor=actor, filters=filters, file_format=fmt)
    return Response(
        content=export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get(
    "/v1/reports/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per event"},
        **_PROBLEMS,
    },
)
def export_csv(session: SessionDep, actor: Reader, filters: Filters) -> Response:
    return _download(session, actor, filters, ExportFormat.CSV)


@router.get(
    "/v1/reports/export.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": "One row per event",
        },
        **_PROBLEMS,
    },
)
def export_xlsx(session: SessionDep, actor: Reader, filters: Filters) -> Response:
    return _download(session, actor, filters, ExportFormat.XLSX)


@router.get(
    "/v1/reports/dataset",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The dataset's zip"},
        **_PROBLEMS,
    },
)
def get_dataset(session: SessionDep, actor: Evaluator, filters: Filters) -> FileResponse:
    """The evaluator's dataset, for administrators and viewers: one zip of answers (long and
    wide CSV, SPSS, Stata) under numbers drawn for this export, and its codebook."""
    return dataset_download(session=session, actor=actor, filters=filters)


@router.get("/v1/retention/review", tags=["retention"], responses=_PROBLEMS)
def list_due_for_review(
    session: SessionDep,
    settings: SettingsDep,
    actor: Admin,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    city: CityFilter = None,
) -> Page[ReviewItem]:
    """Participants registered and not invited for REVIEW_AFTER_DAYS: ids, city and dates only."""
    items, next_cursor = service.review_page(
        session=session,
        now=utcnow(),
        review_after_days=settings.review_after_days,
        city=city or None,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)
