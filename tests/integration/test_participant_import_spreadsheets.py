"""Participant lists as spreadsheets in Bishkek and Osh save them, and what an import tells.

Each city's coordinator learns nothing of the other city's participants: a number registered
there is, to them, a number nobody registered.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_cli.bench import import_files as lists
from birge_shared.crypto import get_cipher
from birge_shared.models import AuditEntry, Community, Language, Participant
from birge_shared.settings import get_settings
from tests.factories import make_participant, unique_phone

URL = "/v1/participants/import"
XLSX_TYPE = lists.XLSX_TYPE
RU_HEADER = "ФИО;Телефон;Язык;Город;Сообщество;Способ согласия;Версия согласия;Дата согласия"


def _upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes,
    *,
    filename: str = "list.csv",
    content_type: str | None = None,
    **params: str,
) -> Response:
    return client.post(
        URL,
        params=params,
        files={"file": (filename, content, content_type or "application/octet-stream")},
        headers=headers,
    )


def _problem(response: Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + type_)
    return body


def _by_phone(db: Session, e164: str) -> list[Participant]:
    phone_hash = get_cipher().lookup_hash("phone", e164)
    query = select(Participant).where(Participant.phone_hash == phone_hash)
    return list(db.scalars(query.order_by(Participant.city_code)))


def _ru_csv(*rows: str) -> bytes:
    # What Excel writes for "CSV (разделители — точки с запятой)" in a Russian locale.
    return ("\r\n".join([RU_HEADER, *rows]) + "\r\n").encode("cp1251")


def _local(e164: str) -> str:
    return "0" + e164.removeprefix("+996")


def test_a_cp1251_semicolon_csv_with_local_dates_is_imported_in_the_citys_time(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    first, second = unique_phone(), unique_phone()
    content = _ru_csv(
        f"Бакыт Иванов;{_local(first)};ru;Osh;host;paper_form;2026-01;20.11.2026 10:00",
        f"Нурлан Осмонов;{_local(second)};KY;osh;;verbal;2026-01;21.11.2026",
    )
    response = _upload(client, osh_headers, content)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2

    (bakyt,) = _by_phone(db, first)
    # 10:00 in Osh (UTC+6) is 04:00 UTC; a date alone is the city's midnight.
    assert bakyt.consent_given_at == datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    assert bakyt.language is Language.RU
    assert bakyt.community is Community.HOST
    (nurlan,) = _by_phone(db, second)
    assert nurlan.consent_given_at == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert nurlan.community is None
    assert get_cipher().decrypt(nurlan.name_encrypted or "") == "Нурлан Осмонов"


def test_an_xlsx_with_date_cells_and_numeric_phone_cells_is_imported(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    local, international = unique_phone(), unique_phone()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["Аты", "Телефон", "Тил", "Шаар", "Макулдук ыкмасы", "Макулдук тексти", "Макулдук күнү"]
    )
    # Digits typed into a cell become a number: the leading zero of the local form is lost.
    # A date cell holds local time, without an offset.
    typed = datetime(2026, 11, 20, 10, 0)  # noqa: DTZ001
    date_alone = datetime(2026, 11, 25, 0, 0)  # noqa: DTZ001
    sheet.append(["Айгүл", int(local.removeprefix("+996")), "ky", "osh", "paper_form", "v1", typed])
    sheet.append(["Amina", int(international[1:]), "en", "osh", "sms", "v1", date_alone])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = _upload(client, osh_headers, buffer.getvalue(), filename="list.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    (aigul,) = _by_phone(db, local)
    assert aigul.consent_given_at == datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    (amina,) = _by_phone(db, international)
    assert amina.consent_given_at == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def test_a_consent_date_in_the_future_is_refused(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    phone = unique_phone()
    # An hour ahead, written as Osh's clock shows it.
    ahead = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Bishkek"))
    stamp = ahead.strftime("%d.%m.%Y %H:%M")
    content = _ru_csv(f"Бакыт;{_local(phone)};ru;osh;host;paper_form;2026-01;{stamp}")
    body = _problem(_upload(client, osh_headers, content), 422, "import-rejected")
    assert body["errors"] == [
        {
            "row": 2,
            "field": "consent_given_at",
            "detail": "is in the future: give the date the person consented",
        }
    ]
    assert _by_phone(db, phone) == []


def test_the_templates_download_and_list_the_columns(
    client: TestClient, osh_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    csv_response = client.get(f"{URL}/template.csv", headers=osh_headers)
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    text = csv_response.content.decode("utf-8-sig")
    assert text.splitlines()[0].split(";") == list(lists.HEADER)
    assert "20.11.2026 10:00" in text

    xlsx_response = client.get(f"{URL}/template.xlsx", headers=osh_headers)
    assert xlsx_response.status_code == 200
    assert xlsx_response.headers["content-type"] == XLSX_TYPE
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(lists.HEADER)
    assert isinstance(rows[1][-1], datetime)

    assert client.get(f"{URL}/template.csv").status_code == 401
    assert client.get(f"{URL}/template.csv", headers=viewer_headers).status_code == 403


def test_the_templates_import_as_they_are(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    csv_template = client.get(f"{URL}/template.csv", headers=osh_headers).content
    response = _upload(client, osh_headers, csv_template, filename="template.csv")
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    # The XLSX holds the same example people: they are matched, not registered twice.
    xlsx_template = client.get(f"{URL}/template.xlsx", headers=osh_headers).content
    again = _problem(
        _upload(client, osh_headers, xlsx_template, filename="template.xlsx"),
        422,
        "import-rejected",
    )
    assert [(error["row"], error["field"]) for error in again["errors"]] == [
        (2, "phone"),
        (3, "phone"),
    ]
    assert all(error["participant_id"] for error in again["errors"])


def test_a_repeated_row_names_its_match_and_update_true_updates_it(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    phone = unique_phone()
    known = make_participant(
        db, city="osh", phone=phone, language=Language.RU, community=Community.HOST
    )
    # Committed (a savepoint here), so a refused request's rollback keeps it.
    db.commit()
    row = f"Бакыт;{_local(phone)};ky;osh;migrant;web_form;2026-02;30.11.2026 15:30"
    header = RU_HEADER + ";E-mail"
    content = ("\r\n".join([header, row + ";Bakyt@Example.org"]) + "\r\n").encode("cp1251")

    refused = _problem(_upload(client, osh_headers, content), 422, "import-rejected")
    assert refused["errors"] == [
        {
            "row": 2,
            "field": "phone",
            "detail": f"matches participant {known.id}, already registered in osh; "
            "send update=true to update it",
            "participant_id": str(known.id),
        }
    ]

    response = _upload(client, osh_headers, content, update="true")
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["updated"]) == (0, 1)
    db.refresh(known)
    assert known.language is Language.KY
    assert known.community is Community.MIGRANT
    assert get_cipher().decrypt(known.email_encrypted or "") == "bakyt@example.org"
    assert known.consent_given_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert known.consent_text_version == "2026-02"
    # The name is not the import's to change.
    assert get_cipher().decrypt(known.name_encrypted or "") == "Test Person"
    (entry,) = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "participant.update",
            AuditEntry.object_id == str(known.id),
        )
    )
    assert entry.details == {
        "fields": ["language", "community", "email", "consent"],
        "source": "import",
    }
    assert len(_by_phone(db, phone)) == 1


def test_a_number_registered_in_another_city_answers_as_an_unknown_one(
    client: TestClient, bishkek_headers: dict[str, str], db: Session
) -> None:
    in_osh, unknown = unique_phone(), unique_phone()
    make_participant(db, city="osh", phone=in_osh)
    db.commit()

    def row(phone: str) -> str:
        return f"Бакыт;{_local(phone)};ru;bishkek;host;paper_form;2026-01;20.11.2026 10:00"

    # With a broken row beside it, the report is all the coordinator gets: it must read the
    # same for the Osh number as for the unknown one.
    broken = f"Нурлан;{_local(unique_phone())};ru;bishkek;host;paper_form;2026-01;someday"
    answers = []
    for phone in (in_osh, unknown):
        body = _problem(
            _upload(client, bishkek_headers, _ru_csv(row(phone), broken)),
            422,
            "import-rejected",
        )
        answers.append({key: value for key, value in body.items() if key != "instance"})
    assert answers[0] == answers[1]
    assert answers[0]["accepted"] == 1

    response = _upload(client, bishkek_headers, _ru_csv(row(in_osh)))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "imported": True,
        "accepted": 1,
        "updated": 0,
        "rejected": 0,
        "errors": [],
    }
    # A person in both cities is two participants, one in each.
    assert [participant.city_code for participant in _by_phone(db, in_osh)] == ["bishkek", "osh"]


def test_creating_and_changing_answer_the_same_for_another_citys_number(
    client: TestClient, bishkek_headers: dict[str, str], db: Session
) -> None:
    in_osh = unique_phone()
    make_participant(db, city="osh", phone=in_osh)
    db.commit()
    body = {
        "name": "Бакыт",
        "phone": _local(in_osh),
        "language": "ru",
        "city": "bishkek",
        "consent": {
            "method": "paper_form",
            "text_version": "2026-01",
            "given_at": "2026-11-20T10:00:00+06:00",
        },
    }
    created = client.post("/v1/participants", json=body, headers=bishkek_headers)
    assert created.status_code == 201, created.text
    assert [participant.city_code for participant in _by_phone(db, in_osh)] == ["bishkek", "osh"]

    # Changing another Bishkek participant to the Osh number is no different either …
    other = client.post(
        "/v1/participants", json={**body, "phone": unique_phone()}, headers=bishkek_headers
    ).json()
    in_osh_too = unique_phone()
    make_participant(db, city="osh", phone=in_osh_too)
    db.commit()
    changed = client.patch(
        f"/v1/participants/{other['id']}", json={"phone": in_osh_too}, headers=bishkek_headers
    )
    assert changed.status_code == 200, changed.text
    # … while a number of the coordinator's own city is a conflict they can see.
    taken = client.patch(
        f"/v1/participants/{other['id']}", json={"phone": in_osh}, headers=bishkek_headers
    )
    _problem(taken, 409, "duplicate-phone")
    again = client.post("/v1/participants", json=body, headers=bishkek_headers)
    _problem(again, 409, "duplicate-phone")


def test_the_bombs_are_refused_through_the_api(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    before = db.scalars(select(Participant.id)).all()
    cases = [
        ("bomb.xlsx", lists.shared_strings_bomb(2_000_000), "file-too-large"),
        ("wide.csv", lists.wide_header_csv(40_000), "too-many-columns"),
    ]
    for filename, content, type_ in cases:
        response = _upload(client, osh_headers, content, filename=filename)
        body = _problem(response, 422, type_)
        assert body["errors"][0]["field"] == "file"
    # The workbook claiming A1:XFD3200 is read for what it holds: its one row.
    claimed = lists.dimension_bomb()
    response = _upload(client, osh_headers, claimed, filename="claimed.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert len(db.scalars(select(Participant.id)).all()) == len(before) + 1


def test_an_import_past_its_time_limit_is_refused_and_writes_nothing(
    client: TestClient,
    osh_headers: dict[str, str],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A limit no import can meet: the deadline passes before the first row is read.
    monkeypatch.setattr(get_settings(), "import_time_limit_seconds", 1e-9)
    phone = unique_phone()
    content = _ru_csv(f"Бакыт;{_local(phone)};ru;osh;host;paper_form;2026-01;20.11.2026 10:00")
    body = _problem(_upload(client, osh_headers, content), 422, "import-too-slow")
    assert body["errors"][0]["field"] == "file"
    assert _by_phone(db, phone) == []


def test_five_thousand_rows_within_the_bounds_are_imported(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    # Numbers of a block no other test uses (+996 555 9xx xxx).
    content = lists.valid_csv(5000, first=900_000)
    response = _upload(client, osh_headers, content)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 5000
    assert len(_by_phone(db, "+996555904999")) == 1
