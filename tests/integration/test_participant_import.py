from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import AuditEntry, Participant
from birge_shared.settings import get_settings

URL = "/v1/participants/import"
HEADER = [
    "name",
    "phone",
    "email",
    "language",
    "city",
    "community",
    "consent_method",
    "consent_text_version",
    "consent_given_at",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GIVEN_AT = "2026-11-20T10:00:00+06:00"


def _row(name: str, phone: str, **overrides: str) -> list[str]:
    values = {
        "name": name,
        "phone": phone,
        "email": "",
        "language": "ky",
        "city": "osh",
        "community": "host",
        "consent_method": "paper_form",
        "consent_text_version": "2026-01",
        "consent_given_at": GIVEN_AT,
    }
    values.update(overrides)
    return [values[column] for column in HEADER]


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes,
    *,
    filename: str = "participants.csv",
    content_type: str = "text/csv",
    partial: bool | None = None,
) -> Response:
    params = {"partial": "true"} if partial else {}
    return client.post(
        URL,
        params=params,
        files={"file": (filename, content, content_type)},
        headers=headers,
    )


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Participant)) or 0


def _hashes(db: Session) -> set[str | None]:
    return set(db.scalars(select(Participant.phone_hash)))


def _phone_hash(e164: str) -> str:
    return get_cipher().lookup_hash("phone", e164)


def _problem(response: Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + type_)
    return body


def test_a_good_csv_imports_every_row_and_leaves_an_audit_entry(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    content = _csv(
        [
            _row("Aida", "0555 100 001", email="Aida@Example.org"),
            _row("Bakyt", "+996 700 100 002", city="bishkek", community="", language="ru"),
        ]
    )
    response = _upload(client, admin_headers, content)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "imported": True,
        "accepted": 2,
        "updated": 0,
        "rejected": 0,
        "errors": [],
    }
    assert {_phone_hash("+996555100001"), _phone_hash("+996700100002")} <= _hashes(db)

    listed = client.get("/v1/participants", headers=admin_headers).json()["items"]
    by_mask = {item["phone_masked"]: item for item in listed}
    assert by_mask["+996 555 *** 001"]["email_masked"] == "a***@example.org"
    assert by_mask["+996 700 *** 002"]["community"] is None
    assert by_mask["+996 700 *** 002"]["city"] == "bishkek"

    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "participant.import"))
    assert entry.details == {
        "format": "csv",
        "accepted": 2,
        "updated": 0,
        "rejected": 0,
        "partial": False,
    }


def test_one_broken_row_imports_nothing_and_reports_it_without_the_number(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    before = _count(db)
    content = _csv(
        [
            _row("Aida", "0555 100 011"),
            _row("Bakyt", "0312 123456"),
            # 31 February: not a date, in any form.
            _row("Cholpon", "0555 100 013", consent_given_at="31.02.2026 10:00"),
        ]
    )
    body = _problem(_upload(client, admin_headers, content), 422, "import-rejected")
    assert body["imported"] is False
    assert body["accepted"] == 1
    assert body["rejected"] == 2
    assert [(error["row"], error["field"]) for error in body["errors"]] == [
        (3, "phone"),
        (4, "consent_given_at"),
    ]
    assert "0312" not in str(body)
    assert "123456" not in str(body)
    assert _count(db) == before
    assert not db.scalars(select(AuditEntry).where(AuditEntry.action == "participant.import")).all()


def test_partial_imports_the_good_rows_and_reports_the_rest(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    before = _count(db)
    content = _csv(
        [
            _row("Aida", "0555 100 021"),
            _row("Bakyt", "0312 123456"),
            _row("Cholpon", "0555 100 023", language="fr"),
            _row("Dinara", "0555 100 024"),
        ]
    )
    response = _upload(client, admin_headers, content, partial=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["imported"] is True
    assert (report["accepted"], report["rejected"]) == (2, 2)
    assert [(error["row"], error["field"]) for error in report["errors"]] == [
        (3, "phone"),
        (4, "language"),
    ]
    assert _count(db) == before + 2
    assert {_phone_hash("+996555100021"), _phone_hash("+996555100024")} <= _hashes(db)


def test_partial_with_no_good_row_is_still_a_422(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    before = _count(db)
    content = _csv([_row("Bakyt", "0312 123456")])
    body = _problem(_upload(client, admin_headers, content, partial=True), 422, "import-rejected")
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert _count(db) == before


def test_duplicates_in_the_file_and_in_the_database_are_row_errors(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    first = _upload(client, admin_headers, _csv([_row("Aida", "0555 100 031")]))
    assert first.status_code == 200, first.text
    before = _count(db)
    content = _csv(
        [
            _row("Aida again", "+996555100031"),
            _row("Bakyt", "0555 100 032"),
            _row("Bakyt twin", "555 100 032"),
        ]
    )
    body = _problem(_upload(client, admin_headers, content), 422, "import-rejected")
    (registered,) = db.scalars(
        select(Participant.id).where(Participant.phone_hash == _phone_hash("+996555100031"))
    )
    errors = {(error["row"], error["field"]): error["detail"] for error in body["errors"]}
    assert errors == {
        (2, "phone"): f"matches participant {registered}, already registered in osh; "
        "send update=true to update it",
        (4, "phone"): "the same phone number and city as row 3",
    }
    assert body["errors"][0]["participant_id"] == str(registered)
    assert _count(db) == before


def test_an_xlsx_built_in_a_spreadsheet_imports(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    # A phone typed as digits becomes a number cell, its leading zero lost.
    sheet.append(["Aida", 555100041, None, "KY", "Osh", "Host", "paper_form", "2026-01", GIVEN_AT])
    sheet.append(_row("Bakyt", "0700 100 042", community="migrant"))
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = _upload(
        client,
        admin_headers,
        buffer.getvalue(),
        filename="participants.xlsx",
        content_type=XLSX_TYPE,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert {_phone_hash("+996555100041"), _phone_hash("+996700100042")} <= _hashes(db)
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "participant.import"))
    assert entry.details["format"] == "xlsx"


@pytest.mark.parametrize(
    ("filename", "content_type", "content"),
    [
        ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
        ("participants.pdf", "application/pdf", b"%PDF-1.7\n"),
        ("participants.csv", "text/csv", b"%PDF-1.7\n\x00\x01binary"),
        ("participants.xlsx", XLSX_TYPE, _csv([_row("Aida", "0555 100 051")])),
    ],
)
def test_anything_but_csv_or_xlsx_is_a_415(
    client: TestClient,
    admin_headers: dict[str, str],
    db: Session,
    *,
    filename: str,
    content_type: str,
    content: bytes,
) -> None:
    before = _count(db)
    response = _upload(client, admin_headers, content, filename=filename, content_type=content_type)
    _problem(response, 415, "unsupported-media-type")
    assert _count(db) == before


def test_an_empty_file_or_missing_columns_is_a_422_naming_them(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    empty = _problem(_upload(client, admin_headers, b""), 422, "missing-columns")
    assert "phone" in {error["field"] for error in empty["errors"]}
    header = [column for column in HEADER if column not in ("phone", "consent_method")]
    content = _csv([["x"] * len(header)], header=header)
    missing = _problem(_upload(client, admin_headers, content), 422, "missing-columns")
    assert [error["field"] for error in missing["errors"]] == ["phone", "consent_method"]


def test_more_rows_than_the_setting_allows_is_a_422(
    client: TestClient,
    admin_headers: dict[str, str],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "max_import_rows", 2)
    before = _count(db)
    content = _csv([_row(f"Person {n}", f"0555 100 06{n}") for n in range(3)])
    body = _problem(_upload(client, admin_headers, content), 422, "too-many-rows")
    assert body["errors"][0]["field"] == "file"
    assert _count(db) == before


def test_a_coordinator_cannot_import_into_another_city(
    client: TestClient, bishkek_headers: dict[str, str], db: Session
) -> None:
    before = _count(db)
    content = _csv(
        [_row("Aida", "0555 100 071", city="bishkek"), _row("Bakyt", "0555 100 072", city="osh")]
    )
    body = _problem(
        _upload(client, bishkek_headers, content, partial=True), 403, "city-not-assigned"
    )
    assert body["errors"] == [{"row": 3, "field": "city", "detail": "not one of your cities"}]
    assert _count(db) == before

    own_city = _csv([_row("Aida", "0555 100 071", city="bishkek")])
    assert _upload(client, bishkek_headers, own_city).json()["accepted"] == 1


def test_an_unknown_city_is_a_row_error(client: TestClient, admin_headers: dict[str, str]) -> None:
    content = _csv([_row("Aida", "0555 100 081", city="karakol")])
    body = _problem(_upload(client, admin_headers, content), 422, "import-rejected")
    assert body["errors"] == [{"row": 2, "field": "city", "detail": "unknown city"}]


def test_a_request_without_a_file_is_a_422_naming_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(URL, data={"other": "x"}, headers=admin_headers)
    body = _problem(response, 422, "validation-error")
    assert body["errors"][0]["field"] == "file"
