"""Programme indicators over the API: writes by admins only, refused formulas as problems that
say where, values equal to the reports' own figures, suppression, city scoping and the export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Community, Indicator, InvitationStatus
from tests.integration.reports.simulation import simulate

Headers = dict[str, str]
S = InvitationStatus

ATTENDANCE = {
    "code": "OUT-1.1",
    "name": {"en": "Share of invited people who attended", "ru": "Доля пришедших"},
    "formula": "participants_attended / participants_invited * 100",
    "unit": "percent",
    "target": 50,
    "city_targets": {"OSH": 40},
    "period": "month",
}
EVENTS = {
    "code": "OUT-2.1",
    "name": {"en": "Intergroup activities held"},
    "formula": "events_held",
    "unit": "count",
    "target": 4,
    "period": "quarter",
}


def _create(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/indicators", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _values(client: TestClient, headers: Headers, **params: str) -> list[dict[str, Any]]:
    response = client.get("/v1/indicators/values", params=params, headers=headers)
    assert response.status_code == 200, response.text
    values: list[dict[str, Any]] = response.json()["values"]
    return values


@pytest.fixture
def programme(db: Session) -> None:
    simulate(db)  # Bishkek, 2031-03-14
    simulate(
        db,
        city="osh",
        starts_at=datetime(2031, 3, 15, 12, 0, tzinfo=UTC),
        seed=4242,
        # Two and three no-shows: both cells are small, so viewers see no invitation counts.
        plan=[
            (S.ATTENDED, Community.HOST, 9),
            (S.NO_SHOW, Community.HOST, 2),
            (S.ATTENDED, Community.MIGRANT, 5),
            (S.NO_SHOW, Community.MIGRANT, 3),
        ],
    )
    db.commit()


def test_admins_write_and_everyone_reads(
    client: TestClient,
    admin_headers: Headers,
    bishkek_headers: Headers,
    viewer_headers: Headers,
    db: Session,
) -> None:
    created = _create(client, admin_headers, ATTENDANCE)
    assert created["figures"] == ["participants_attended", "participants_invited"]
    assert created["city_targets"] == {"osh": 40.0}
    assert created["created_by_id"] == created["updated_by_id"]

    for headers in (bishkek_headers, viewer_headers):
        assert client.post("/v1/indicators", json=EVENTS, headers=headers).status_code == 403
        path = f"/v1/indicators/{created['id']}"
        assert client.patch(path, json={"target": 1}, headers=headers).status_code == 403
        assert client.delete(path, headers=headers).status_code == 403
        listed = client.get("/v1/indicators", headers=headers).json()
        assert [item["code"] for item in listed] == ["OUT-1.1"]

    path = f"/v1/indicators/{created['id']}"
    changed = client.patch(path, json={"target": 60, "period": "year"}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["target"], changed.json()["period"]) == (60.0, "year")
    assert client.get(path, headers=viewer_headers).json()["target"] == 60.0

    assert client.delete(path, headers=admin_headers).status_code == 204
    assert client.get(path, headers=admin_headers).status_code == 404
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "indicator")
        .order_by(AuditEntry.at)
    ).all()
    assert actions == ["indicator.create", "indicator.update", "indicator.delete"]


@pytest.mark.parametrize(
    ("formula", "detail", "extra"),
    [
        (
            "participants_attended / city_budget",
            "unknown figure 'city_budget' at column 25",
            {"name": "city_budget", "column": 25},
        ),
        ("events_held +", "the formula ends too early at column 14", {"column": 14}),
        ("events_held.real", "attribute access not allowed at column 1", {"column": 1}),
        ("max(events_held, 1)", "function calls not allowed at column 1", {"column": 1}),
    ],
)
def test_a_bad_formula_is_a_problem_and_changes_nothing(  # noqa: PLR0917 - fixtures and parameters
    client: TestClient,
    admin_headers: Headers,
    db: Session,
    formula: str,
    detail: str,
    extra: dict[str, Any],
) -> None:
    response = client.post(
        "/v1/indicators", json={**EVENTS, "formula": formula}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://birge.kg/problems/invalid-formula"
    assert body["errors"][0]["field"] == "formula"
    assert body["errors"][0]["detail"] == detail
    assert {key: body[key] for key in extra} == extra
    assert db.scalar(select(Indicator.id)) is None

    created = _create(client, admin_headers, EVENTS)
    patched = client.patch(
        f"/v1/indicators/{created['id']}",
        json={"formula": formula, "target": 9},
        headers=admin_headers,
    )
    assert patched.status_code == 422
    db.expire_all()
    row = db.scalars(select(Indicator)).one()
    assert (row.formula, row.target) == ("events_held", 4.0)

    check = client.post("/v1/indicators/check", json={"formula": formula}, headers=admin_headers)
    assert check.status_code == 422
    assert check.json()["errors"][0]["detail"] == detail


def test_other_bad_input(client: TestClient, admin_headers: Headers) -> None:
    _create(client, admin_headers, EVENTS)
    again = client.post("/v1/indicators", json=EVENTS, headers=admin_headers)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/indicator-code-taken")
    city = client.post(
        "/v1/indicators",
        json={**EVENTS, "code": "X", "city_targets": {"naryn": 1}},
        headers=admin_headers,
    )
    assert city.status_code == 422
    assert city.json()["type"].endswith("/unknown-city")
    period = client.get("/v1/indicators/values?period=2031-Q7", headers=admin_headers)
    assert period.status_code == 422
    assert period.json()["errors"][0]["field"] == "period"
    check = client.post(
        "/v1/indicators/check", json={"formula": "events_held*2"}, headers=admin_headers
    )
    assert check.json() == {"formula": "events_held*2", "figures": ["events_held"]}
    # The share whose attitude rose is a figure a formula may name.
    rose = "attitude_positive_change_share * 100"
    check = client.post("/v1/indicators/check", json={"formula": rose}, headers=admin_headers)
    assert check.json() == {"formula": rose, "figures": ["attitude_positive_change_share"]}


def test_values_are_the_reports_figures_per_city_and_period(
    client: TestClient, admin_headers: Headers, programme: None
) -> None:
    _create(client, admin_headers, ATTENDANCE)
    _create(client, admin_headers, EVENTS)
    values = _values(client, admin_headers, period="2031-03")
    assert [(v["code"], v["city"], v["period"]) for v in values] == [
        ("OUT-1.1", "bishkek", "2031-03"),
        ("OUT-1.1", "osh", "2031-03"),
        ("OUT-2.1", "bishkek", "2031-03"),
        ("OUT-2.1", "osh", "2031-03"),
    ]
    for value in values[:2]:
        summary = client.get(
            "/v1/reports/summary",
            params={"city": value["city"], "from": "2031-03-01", "to": "2031-03-31"},
            headers=admin_headers,
        ).json()["invitations"]
        assert value["value"] == pytest.approx(summary["attended"] / summary["invited"] * 100)
    bishkek, osh = values[0], values[1]
    assert (bishkek["target"], osh["target"]) == (50.0, 40.0)
    assert osh["progress"] == pytest.approx(osh["value"] / 40)
    assert [v["value"] for v in values[2:]] == [1.0, 1.0]

    # Without a period, each indicator's own current one; March 2031 is in none of them.
    current = _values(client, admin_headers)
    assert {v["period"][:4] for v in current} != {"2031"}
    assert all(v["value"] is None for v in current if v["code"] == "OUT-1.1")  # 0 / 0

    year = _values(client, admin_headers, period="2031", city="OSH")
    assert [(v["code"], v["city"], v["value"]) for v in year] == [
        ("OUT-1.1", "osh", pytest.approx(14 / 19 * 100)),
        ("OUT-2.1", "osh", 1.0),
    ]


def test_a_suppressed_input_suppresses_the_indicator(
    client: TestClient, admin_headers: Headers, viewer_headers: Headers, programme: None
) -> None:
    _create(client, admin_headers, ATTENDANCE)
    (osh,) = _values(client, viewer_headers, period="2031-03", city="osh")
    assert (osh["value"], osh["progress"], osh["suppressed"]) == (None, None, True)
    (full,) = _values(client, admin_headers, period="2031-03", city="osh")
    assert full["value"] is not None
    assert full["suppressed"] is False


def test_a_city_scoped_user_sees_only_their_cities(
    client: TestClient, admin_headers: Headers, osh_headers: Headers, programme: None
) -> None:
    _create(client, admin_headers, EVENTS)
    assert [v["city"] for v in _values(client, osh_headers, period="2031")] == ["osh"]
    assert _values(client, osh_headers, period="2031", city="bishkek") == []
    response = client.get("/v1/indicators/export.csv?period=2031", headers=osh_headers)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[6] for row in rows[1:]] == ["osh"]


def test_the_export_carries_the_values(
    client: TestClient, admin_headers: Headers, db: Session, programme: None
) -> None:
    _create(client, admin_headers, {**ATTENDANCE, "name": {"en": "=cmd", "ky": "Катышуу"}})
    response = client.get("/v1/indicators/export.csv?period=2031-03", headers=admin_headers)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="birge-indicators-2031-03.csv"' in response.headers["content-disposition"]
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert header[:4] == ["code", "name_ky", "name_ru", "name_en"]
    assert rows[0][1:4] == ["Катышуу", "", "'=cmd"]
    assert [row[6] for row in rows] == ["bishkek", "osh"]
    assert rows[0][11] == "false"

    xlsx = client.get("/v1/indicators/export.xlsx?period=2031-03", headers=admin_headers)
    sheet = load_workbook(io.BytesIO(xlsx.content))["indicators"]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[1][6] == "bishkek"
    assert cells[1][8] == pytest.approx(float(rows[0][8]))
    exports = db.scalars(select(AuditEntry).where(AuditEntry.action == "indicator.export")).all()
    assert [entry.details["format"] for entry in exports] == ["csv", "xlsx"]


def test_a_saved_formula_naming_a_figure_no_longer_there_is_not_available(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    db.add(
        Indicator(
            code="OLD-1",
            name={"en": "Retired figure"},
            formula="retired_figure * 2",
            unit="count",
            target=1,
            city_targets={},
            period="year",
        )
    )
    db.commit()
    (listed,) = client.get("/v1/indicators", headers=admin_headers).json()
    assert listed["figures"] == []
    values = _values(client, admin_headers, period="2031")
    assert [(v["city"], v["value"], v["suppressed"]) for v in values] == [
        ("bishkek", None, False),
        ("osh", None, False),
    ]
