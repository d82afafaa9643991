"""The export files: a header, one row per event, empty cells where a figure is suppressed."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from birge_api.reports.export import HEADER, render_csv, render_xlsx, rows
from birge_api.reports.schemas import (
    AttitudeChange,
    EventReport,
    Figure,
    InvitationCounts,
    Mix,
    RatingDistribution,
    SurveyFigures,
)
from birge_shared.models import ActivityType, EventStatus

HIDDEN = Figure(value=None, n=None, suppressed=True)


def _report(*, suppressed: bool) -> EventReport:
    shown = Figure(value=0.75, n=12, suppressed=False)
    return EventReport(
        event_id=uuid.UUID(int=7),
        title={"ky": "Тил алмашуу", "ru": "Языковой обмен", "en": "=HYPERLINK(1)"},
        city="osh",
        activity_type=ActivityType.LANGUAGE_EXCHANGE,
        status=EventStatus.COMPLETED,
        starts_at=datetime(2031, 5, 1, 19, 0, tzinfo=UTC),
        start_date_local=date(2031, 5, 2),
        start_time_local="01:00",
        venue_name="Дом дружбы",
        venue_address="+996 Ленина 1",
        capacity=20,
        invitations=InvitationCounts(
            invited=18, accepted=14, declined=3, attended=12, no_show=2, withheld=False
        ),
        survey=SurveyFigures(
            response_rate=HIDDEN if suppressed else shown,
            mean_rating=HIDDEN if suppressed else Figure(value=4.25, n=12, suppressed=False),
            cross_group_talk_share=HIDDEN if suppressed else shown,
            rating_distribution=RatingDistribution(counts=None, n=None, suppressed=True),
            attitude_change=AttitudeChange(mean=None, low=None, high=None, n=None, suppressed=True)
            if suppressed
            else AttitudeChange(mean=0.5, low=0.1, high=0.9, n=10, suppressed=False),
        ),
        mix=Mix(
            basis="attended",
            host_share=0.5,
            migrant_share=0.5,
            band_low=0.4,
            band_high=0.6,
            held=True,
            suppressed=False,
        ),
    )


def test_csv_has_the_header_and_empty_cells_for_suppressed_figures() -> None:
    table = rows([_report(suppressed=False), _report(suppressed=True)])
    parsed = list(csv.reader(io.StringIO(render_csv(table).decode("utf-8-sig"))))

    assert tuple(parsed[0]) == HEADER
    shown, hidden = (dict(zip(HEADER, row, strict=True)) for row in parsed[1:])
    assert shown["event_id"] == "00000000-0000-0000-0000-000000000007"
    assert shown["activity_type"] == "language_exchange"
    assert shown["start_date"] == "2031-05-02"  # the local date, not the UTC one
    assert shown["start_time"] == "01:00"
    assert (shown["title_ky"], shown["title_ru"]) == ("Тил алмашуу", "Языковой обмен")
    assert shown["venue_name"] == "Дом дружбы"
    assert (shown["mean_rating"], shown["mean_rating_n"]) == ("4.25", "12")
    assert (shown["attitude_change_low"], shown["attitude_change_high"]) == ("0.1", "0.9")
    assert shown["mix_held"] == "true"
    survey_columns = [name for name in HEADER if name.startswith(("response", "respond"))]
    survey_columns += [name for name in HEADER if name.startswith(("mean", "cross", "attitude"))]
    assert len(survey_columns) == 10
    assert all(hidden[name] == "" for name in survey_columns)
    assert hidden["invited"] == "18"  # counts have their own rule: here nothing is withheld
    assert (hidden["counts_withheld"], hidden["mix_suppressed"]) == ("false", "false")


def test_csv_starts_with_a_byte_order_mark_for_excel() -> None:
    assert render_csv(rows([_report(suppressed=False)])).startswith("\ufeff".encode())


def test_typed_text_that_looks_like_a_formula_is_written_as_text() -> None:
    table = rows([_report(suppressed=False)])
    for content in (render_csv(table).decode("utf-8-sig"),):
        (shown,) = list(csv.DictReader(io.StringIO(content)))
        assert shown["title_en"] == "'=HYPERLINK(1)"
        assert shown["venue_address"] == "'+996 Ленина 1"
    workbook = load_workbook(io.BytesIO(render_xlsx(table)), read_only=True)
    header, first = (list(row) for row in workbook["events"].iter_rows(values_only=True))
    workbook.close()
    assert dict(zip(header, first, strict=True))["title_en"] == "'=HYPERLINK(1)"


def test_csv_lines_end_in_crlf() -> None:
    assert render_csv(rows([_report(suppressed=False)])).count(b"\r\n") == 2


def test_xlsx_round_trips_with_native_types() -> None:
    table = rows([_report(suppressed=False), _report(suppressed=True)])
    workbook = load_workbook(io.BytesIO(render_xlsx(table)), read_only=True)
    values = [list(row) for row in workbook["events"].iter_rows(values_only=True)]
    workbook.close()

    assert tuple(values[0]) == HEADER
    shown = dict(zip(HEADER, values[1], strict=True))
    hidden = dict(zip(HEADER, values[2], strict=True))
    assert shown["capacity"] == 20
    assert shown["mean_rating"] == 4.25
    assert shown["mix_held"] is True
    assert shown["start_date"] == datetime(2031, 5, 2)  # noqa: DTZ001 - spreadsheets are naive
    assert hidden["attitude_change_mean"] is None
    assert hidden["respondents"] is None
