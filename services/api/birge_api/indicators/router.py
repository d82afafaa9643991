"""Programme indicators under /v1/indicators: administrators write, every role reads.

Indicators and their values are aggregates only, like the reports, so viewers read them too;
a city-scoped caller sees the values of their own cities only.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from birge_api.cities import CityFilter
from birge_api.deps import Admin, Reader, SessionDep
from birge_api.indicators import service
from birge_api.indicators.export import export_values
from birge_api.indicators.schemas import (
    FigureRead,
    FormulaCheck,
    FormulaChecked,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    IndicatorValues,
)
from birge_api.reports.export import ExportFormat

router = APIRouter(prefix="/v1/indicators", tags=["indicators"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "No such indicator"},
    409: {"description": "Another indicator has this code"},
    422: {"description": "Invalid input; a refused formula names the column and unknown name"},
}

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        description="`YYYY`, `YYYY-Qn` or `YYYY-MM`; by default each indicator's current period.",
    ),
]


@router.get("", responses=_PROBLEMS)
def list_indicators(session: SessionDep, actor: Reader) -> list[IndicatorRead]:
    return service.list_indicators(session=session)


@router.post("", status_code=201, responses=_PROBLEMS)
def create_indicator(body: IndicatorCreate, session: SessionDep, actor: Admin) -> IndicatorRead:
    return service.create_indicator(session=session, actor=actor, body=body)


@router.get("/figures", responses=_PROBLEMS)
def list_figures(actor: Reader) -> list[FigureRead]:
    """The report figures a formula may name, with what each means."""
    return service.list_figures()


@router.post("/check", responses=_PROBLEMS)
def check_formula(body: FormulaCheck, actor: Admin) -> FormulaChecked:
    """Check a formula without saving anything; a refused one is the 422 saving would give."""
    return service.checked(body.formula)


@router.get("/values", responses=_PROBLEMS)
def get_values(
    session: SessionDep, actor: Reader, city: CityFilter = None, period: PeriodQuery = None
) -> IndicatorValues:
    return IndicatorValues(
        values=service.indicator_values(session=session, actor=actor, city=city, period=period)
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per value"}, **_PROBLEMS},
)
def export_csv(
    session: SessionDep, actor: Reader, city: CityFilter = None, period: PeriodQuery = None
) -> Response:
    export = export_values(
        session=session, actor=actor, city=city, period=period, file_format=ExportFormat.CSV
    )
    return _download(export.content, export.media_type, export.filename)


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": "One row per value",
        },
        **_PROBLEMS,
    },
)
def export_xlsx(
    session: SessionDep, actor: Reader, city: CityFilter = None, period: PeriodQuery = None
) -> Response:
    export = export_values(
        session=session, actor=actor, city=city, period=period, file_format=ExportFormat.XLSX
    )
    return _download(export.content, export.media_type, export.filename)


@router.get("/{indicator_id}", responses=_PROBLEMS)
def get_indicator(indicator_id: uuid.UUID, session: SessionDep, actor: Reader) -> IndicatorRead:
    return service.get_indicator(session=session, indicator_id=indicator_id)


@router.patch("/{indicator_id}", responses=_PROBLEMS)
def update_indicator(
    indicator_id: uuid.UUID, body: IndicatorUpdate, session: SessionDep, actor: Admin
) -> IndicatorRead:
    return service.update_indicator(
        session=session, actor=actor, indicator_id=indicator_id, body=body
    )


@router.delete("/{indicator_id}", status_code=204, responses=_PROBLEMS)
def delete_indicator(indicator_id: uuid.UUID, session: SessionDep, actor: Admin) -> Response:
    service.delete_indicator(session=session, actor=actor, indicator_id=indicator_id)
    return Response(status_code=204)
