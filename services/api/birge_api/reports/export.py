"""The per-event report as a file: CSV or XLSX, one row per event, suppressed cells empty.

The rows are the event reports themselves, so the same small cells are left out of them as
out of every other report (`cells.py`). Each row names its event — title per language, date
and time, venue — so an evaluator can read the file without the console.

The titles and venues are text a coordinator typed: a cell that a spreadsheet would read as a
formula (starting with =, +, -, @, a tab or a carriage return) is written with a leading
apostrophe, the form spreadsheets show as text. Every other cell is a number, a date, an id
or a code from a closed vocabulary. The CSV starts with a byte order mark, so Excel reads its
Cyrillic as UTF-8. Each export is audited with its filters, never with its content.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.reports.figures import mix_values
from birge_api.reports.schemas import EventReport
from birge_api.reports.service import TITLE_LANGUAGES, EventValues, ReportFilter, event_values
from birge_shared import audit
from birge_shared.models import utcnow
from birge_shared.models.city import BISHKEK_TZ

Cell = str | int | float | bool | date | time | None

#: What a spreadsheet takes for the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def as_text(typed: str) -> str:
    """Typed text as a cell no spreadsheet evaluates."""
    return f"'{typed}" if typed.startswith(_FORMULA_STARTS) else typed


def _title(language: str) -> Callable[[EventReport], Cell]:
    return lambda r: as_text(r.title.get(language, ""))


COLUMNS: tuple[tuple[str, Callable[[EventReport], Cell]], ...] = (
    ("event_id", lambda r: str(r.event_id)),
    *((f"title_{language}", _title(language)) for language in TITLE_LANGUAGES),
    ("city", lambda r: r.city),
    ("activity_type", lambda r: r.activity_type.value),
    ("start_date", lambda r: r.start_date_local),
    ("start_time", lambda r: r.start_time_local),
    ("venue_name", lambda r: as_text(r.venue_name)),
    ("venue_address", lambda r: as_text(r.venue_address)),
    ("capacity", lambda r: r.capacity),
    ("invited", lambda r: r.invitations.invited),
    ("accepted", lambda r: r.invitations.accepted),
    ("declined", lambda r: r.invitations.declined),
    ("attended", lambda r: r.invitations.attended),
    ("no_show", lambda r: r.invitations.no_show),
    ("counts_withheld", lambda r: r.invitations.withheld),
    ("response_rate", lambda r: r.survey.response_rate.value),
    ("respondents", lambda r: r.survey.response_rate.n),
    ("mean_rating", lambda r: r.survey.mean_rating.value),
    ("mean_rating_n", lambda r: r.survey.mean_rating.n),
    ("cross_group_talk_share", lambda r: r.survey.cross_group_talk_share.value),
    ("cross_group_talk_n", lambda r: r.survey.cross_group_talk_share.n),
    ("attitude_change_mean", lambda r: r.survey.attitude_change.mean),
    ("attitude_change_low", lambda r: r.survey.attitude_change.low),
    ("attitude_change_high", lambda r: r.survey.attitude_change.high),
    ("attitude_change_n", lambda r: r.survey.attitude_change.n),
    ("mix_basis", lambda r: r.mix.basis),
    ("host_share", lambda r: r.mix.host_share),
    ("migrant_share", lambda r: r.mix.migrant_share),
    ("band_low", lambda r: r.mix.band_low),
    ("band_high", lambda r: r.mix.band_high),
    ("mix_held", lambda r: r.mix.held),
    ("mix_suppressed", lambda r: r.mix.suppressed),
)
HEADER = tuple(name for name, _ in COLUMNS)


def rows(reports: Iterable[EventReport]) -> list[list[Cell]]:
    return [[cell(report) for _, cell in COLUMNS] for report in reports]


def value_row(event: EventValues) -> list[Cell]:
    """The row of `rows` for one event, from its plain values (`service.event_values`): the
    same cells in the order of COLUMNS, without an `EventReport` built per event. The
    exports' test checks both give the same table."""
    row = event.row
    local = row.starts_at.astimezone(ZoneInfo(row.timezone))
    return [
        str(row.id),
        *(as_text(row.title.get(language, "")) for language in TITLE_LANGUAGES),
        row.city,
        row.activity_type.value,
        local.date(),
        local.strftime("%H:%M"),
        as_text(row.venue_name),
        as_text(row.venue_address),
        row.capacity,
        *event.invitations.count_values(),
        *event.survey,
        *mix_values(event.invitations, min_share=row.min_share),
    ]


def value_rows(events: Iterable[EventValues]) -> list[list[Cell]]:
    return [value_row(event) for event in events]


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""  # suppressed, or no value
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, date | time):
        return cell.isoformat(timespec="minutes") if isinstance(cell, time) else cell.isoformat()
    return str(cell)  # floats as their shortest exact form


def render_csv(table: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: comma, double quotes, CRLF
    writer.writerow(HEADER)
    writer.writerows([_csv_text(cell) for cell in row] for row in table)
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(table: Sequence[Sequence[Cell]]) -> bytes:
    # Write-only mode streams rows instead of building every cell object in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("events")
    sheet.append(HEADER)
    for row in table:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str


def _audited_filters(filters: ReportFilter) -> dict[str, str | None]:
    return {
        "city": filters.city,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        "activity_type": filters.activity_type.value if filters.activity_type else None,
        "community": filters.community.value if filters.community else None,
    }


def export_events(
    *, session: Session, actor: Actor, filters: ReportFilter, file_format: ExportFormat
) -> ExportFile:
    table = value_rows(event_values(session=session, actor=actor, filters=filters))
    content = render_csv(table) if file_format is ExportFormat.CSV else render_xlsx(table)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="report.export",
        object_type="report",
        details={"format": file_format.value, "filters": _audited_filters(filters)},
    )
    today = utcnow().astimezone(ZoneInfo(BISHKEK_TZ)).date()
    return ExportFile(
        content=content,
        media_type=MEDIA_TYPES[file_format],
        filename=f"birge-events-{today.isoformat()}.{file_format.value}",
    )
