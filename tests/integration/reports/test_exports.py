"""CSV and XLSX exports: one row per event, figures as in the report, suppressed cells empty."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.reports.export import rows, value_rows
from birge_api.reports.service import ReportFilter, event_reports, event_values
from birge_shared.models import AuditEntry, Community, InvitationStatus, Role, SurveyResponse
from tests.integration.reports.expected import Expected, expected
from tests.integration.reports.simulation import Simulation, simulate

S = InvitationStatus
PERIOD = {"from": "2031-03-14", "to": "2031-03-14"}


@pytest.fixture
def events(db: Session) -> tuple[Simulation, Simulation]:
    big = simulate(db)
    # Three attendees, all answering: every survey figure of this event is suppressed.
    small = simulate(
        db,
        seed=5,
        starts_at=datetime(2031, 3, 14, 4, 0, tzinfo=UTC),
        plan=[(S.ATTENDED, Community.HOST, 2), (S.ATTENDED, Community.MIGRANT, 1)],
    )
    db.query(SurveyResponse).filter(SurveyResponse.event_id == small.event.id).delete()
    for number, person in enumerate(small.people):
        for kind in ("pre", "post"):
            db.add(
                SurveyResponse(
                    event_id=small.event.id,
                    pseudonym=f"small-{number}",
                    kind=kind,
                    community=person.community,
                    attitude=3,
                    rating=4 if kind == "post" else None,
                    cross_group_talk=True if kind == "post" else None,
                    channel="page",
                )
            )
    db.flush()
    return big, small


def _number(cell: Any) -> float:
    return float(cell)


def _check_row(row: dict[str, Any], simulation: Simulation, hand: Expected) -> None:
    assert row["event_id"] == str(simulation.event.id)
    assert row["city"] == "bishkek"
    assert row["activity_type"] == "cooking"
    assert row["capacity"] in ("40", 40)
    counts = [row[name] for name in ("invited", "accepted", "declined", "attended", "no_show")]
    assert [None if count in ("", None) else int(count) for count in counts] == [
        hand.invited,
        hand.accepted,
        hand.declined,
        hand.attended,
        hand.no_show,
    ]
    assert _number(row["response_rate"]) == pytest.approx(hand.response_rate)
    assert int(row["respondents"]) == hand.respondents
    assert _number(row["mean_rating"]) == pytest.approx(hand.mean_rating)
    assert int(row["mean_rating_n"]) == len(hand.ratings)
    assert _number(row["cross_group_talk_share"]) == pytest.approx(hand.talk_share)
    assert int(row["cross_group_talk_n"]) == len(hand.talks)
    assert _number(row["attitude_change_mean"]) == pytest.approx(hand.mean_change)
    assert int(row["attitude_change_n"]) == len(hand.changes)
    assert _number(row["attitude_change_low"]) < _number(row["attitude_change_mean"])
    assert _number(row["attitude_change_high"]) > _number(row["attitude_change_mean"])
    if hand.host_share is not None:
        assert row["mix_basis"] == "attended"
        assert _number(row["host_share"]) == pytest.approx(15 / 29)
    else:
        assert row["host_share"] in ("", None)
    assert _number(row["band_low"]) == pytest.approx(0.4)
    assert _number(row["band_high"]) == pytest.approx(0.6)


SURVEY_CELLS = (
    "response_rate",
    "respondents",
    "mean_rating",
    "mean_rating_n",
    "cross_group_talk_share",
    "cross_group_talk_n",
    "attitude_change_mean",
    "attitude_change_low",
    "attitude_change_high",
    "attitude_change_n",
)


def test_csv_export(
    db: Session,
    client: TestClient,
    viewer_headers: dict[str, str],
    events: tuple[Simulation, Simulation],
) -> None:
    big, small = events
    response = client.get("/v1/reports/export.csv", params=PERIOD, headers=viewer_headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="birge-events-')
    assert disposition.endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    # By start time: the small event starts at 10:00 local, the simulated one at 15:00.
    assert [row["event_id"] for row in rows] == [str(small.event.id), str(big.event.id)]
    big_row = rows[1]
    # What a viewer gets: the same small cells are left out as from the reports.
    _check_row(big_row, big, expected(big.people, protect=True))
    assert big_row["start_date"] == "2031-03-14"
    assert (big_row["mix_held"], big_row["mix_suppressed"]) == ("", "true")
    assert big_row["counts_withheld"] == "true"
    small_row = rows[0]
    assert all(small_row[name] == "" for name in SURVEY_CELLS)
    assert (small_row["attended"], small_row["counts_withheld"]) == ("", "true")

    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "report.export").order_by(AuditEntry.at)
    ).all()[-1]
    assert entry.details == {
        "format": "csv",
        "filters": {
            "city": None,
            "from": "2031-03-14",
            "to": "2031-03-14",
            "activity_type": None,
            "community": None,
        },
    }
    assert entry.object_type == "report"


def test_xlsx_export(
    db: Session,
    client: TestClient,
    bishkek_headers: dict[str, str],
    events: tuple[Simulation, Simulation],
) -> None:
    big, small = events
    response = client.get(
        "/v1/reports/export.xlsx", params={**PERIOD, "city": "bishkek"}, headers=bishkek_headers
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook["events"]
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    rows: list[dict[str, Any]] = [
        {str(name): cell for name, cell in zip(header, row, strict=True)} for row in values
    ]
    workbook.close()
    assert [row["event_id"] for row in rows] == [str(small.event.id), str(big.event.id)]
    big_row = rows[1]
    _check_row(big_row, big, expected(big.people))
    assert big_row["start_date"] == datetime(2031, 3, 14)  # noqa: DTZ001 - spreadsheets are naive
    assert big_row["mix_held"] is True
    assert all(rows[0][name] is None for name in SURVEY_CELLS)

    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "report.export").order_by(AuditEntry.at)
    ).all()[-1]
    assert entry.details["format"] == "xlsx"
    assert entry.details["filters"]["city"] == "bishkek"


def test_an_export_holds_only_the_callers_cities(
    client: TestClient, osh_headers: dict[str, str], events: tuple[Simulation, Simulation]
) -> None:
    response = client.get("/v1/reports/export.csv", params=PERIOD, headers=osh_headers)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == []
    assert response.text.splitlines()[0].startswith(
        "\ufeffevent_id,title_ky,title_ru,title_en,city"
    )


def test_a_community_export_counts_that_community(
    client: TestClient, bishkek_headers: dict[str, str], events: tuple[Simulation, Simulation]
) -> None:
    big, _ = events
    response = client.get(
        "/v1/reports/export.csv", params={**PERIOD, "community": "migrant"}, headers=bishkek_headers
    )
    row = next(
        r
        for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        if r["event_id"] == str(big.event.id)
    )
    hand = expected(big.people, Community.MIGRANT)
    assert int(row["invited"]) == hand.invited
    assert int(row["attended"]) == hand.attended
    assert int(row["respondents"]) == hand.respondents


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
@pytest.mark.parametrize("community", [None, Community.HOST, Community.MIGRANT])
def test_the_exported_rows_are_the_event_reports(
    db: Session,
    events: tuple[Simulation, Simulation],
    role: Role,
    community: Community | None,
) -> None:
    # The exports build their rows from plain values; the event reports are the reference.
    actor = Actor(user_id=uuid.UUID(int=1), role=role, cities=None)
    filters = ReportFilter(community=community)
    reports = event_reports(session=db, actor=actor, filters=filters)
    values = event_values(session=db, actor=actor, filters=filters)
    assert len(reports) >= 2
    assert value_rows(values) == rows(reports)
