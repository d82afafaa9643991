"""Indicator values as a file beside the reports' export: CSV (UTF-8 with BOM) or XLSX.

One row per indicator × city × period, as `GET /v1/indicators/values` returns them; a value
that is not available is an empty cell. Names are typed by administrators, so they are
written through the reports' `as_text`, which keeps a spreadsheet from reading a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.indicators.schemas import IndicatorRead, IndicatorValue
from birge_api.indicators.service import indicator_values, list_indicators
from birge_api.reports.export import MEDIA_TYPES, ExportFile, ExportFormat, as_text
from birge_shared import audit

HEADER = (
    "code",
    "name_ky",
    "name_ru",
    "name_en",
    "formula",
    "unit",
    "city",
    "period",
    "value",
    "target",
    "progress",
    "suppressed",
)

Cell = str | float | bool | None


def rows(indicators: Sequence[IndicatorRead], values: Sequence[IndicatorValue]) -> list[list[Cell]]:
    by_id = {indicator.id: indicator for indicator in indicators}
    table: list[list[Cell]] = []
    for value in values:
        indicator = by_id[value.indicator_id]
        names: list[Cell] = [as_text(indicator.name.get(lang, "")) for lang in ("ky", "ru", "en")]
        table.append(
            [
                as_text(indicator.code),
                *names,
                as_text(indicator.formula),
                indicator.unit.value,
                value.city,
                value.period,
                value.value,
                value.target,
                value.progress,
                value.suppressed,
            ]
        )
    return table


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


def render_csv(table: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([_text(cell) for cell in row] for row in table)
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(table: Sequence[Sequence[Cell]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("indicators")
    sheet.append(HEADER)
    for row in table:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_values(
    *,
    session: Session,
    actor: Actor,
    city: str | None,
    period: str | None,
    file_format: ExportFormat,
) -> ExportFile:
    values = indicator_values(session=session, actor=actor, city=city, period=period)
    table = rows(list_indicators(session=session), values)
    content = render_csv(table) if file_format is ExportFormat.CSV else render_xlsx(table)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="indicator.export",
        object_type="indicator",
        details={"format": file_format.value, "city": city, "period": period},
    )
    label = period.strip() if period and period.strip() else "current"
    return ExportFile(
        content=content,
        media_type=MEDIA_TYPES[file_format],
        filename=f"birge-indicators-{label}.{file_format.value}",
    )
