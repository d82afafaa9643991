"""Finding participants by name (the blind index) and by phone, the new list filters, the
import's dry run and column mapping, CSV export and audited reads of message bodies."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from birge_cli import pii
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    AuditEntry,
    Message,
    MessageChannel,
    MessageDirection,
    Participant,
    ParticipantNameToken,
)
from tests.factories import make_event, make_invitation, make_participant

URL = "/v1/participants"
_numbers = itertools.count(1)


def _phone() -> str:
    number = next(_numbers)
    return f"0772 {number // 1000:03d} {number % 1000:03d}"


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Aida",
        "phone": _phone(),
        "language": "ky",
        "city": "osh",
        "community": "host",
        "consent": {
            "method": "paper_form",
            "text_version": "2026-01",
            "given_at": "2026-11-20T10:00:00+06:00",
        },
    }
    body.update(overrides)
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _names(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


def _token_count(db: Session, participant_id: str | uuid.UUID) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(ParticipantNameToken)
            .where(ParticipantNameToken.participant_id == uuid.UUID(str(participant_id)))
        )
        or 0
    )


def test_a_name_is_found_by_the_start_of_its_words_in_either_alphabet(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    first = _create(client, osh_headers, name="Айгүл Асанова")
    _create(client, osh_headers, name="Aigul Bekova")
    _create(client, osh_headers, name="Нурлан Асанов")

    assert _names(client, osh_headers, name="aig") == {"Айгүл Асанова", "Aigul Bekova"}
    assert _names(client, osh_headers, name="Айгуль") == {"Айгүл Асанова", "Aigul Bekova"}
    assert _names(client, osh_headers, name="asan") == {"Айгүл Асанова", "Нурлан Асанов"}
    assert _names(client, osh_headers, name="АСАН айг") == {"Айгүл Асанова"}
    assert _names(client, osh_headers, name="kova") == set()
    # The index holds 16-byte keyed hashes, never the name's letters.
    hashes = db.scalars(
        select(ParticipantNameToken.token_hash).where(
            ParticipantNameToken.participant_id == uuid.UUID(first["id"])
        )
    ).all()
    assert hashes
    assert all(len(value) == 16 for value in hashes)
    assert not any(b"aig" in value or "Айг".encode() in value for value in hashes)


def test_a_search_stays_in_the_callers_cities(
    client: TestClient, osh_headers: dict[str, str], bishkek_headers: dict[str, str]
) -> None:
    _create(client, osh_headers, name="Жамиля Токтогулова")
    assert _names(client, bishkek_headers, name="Жамиля") == set()
    assert _names(client, osh_headers, name="Жамиля") == {"Жамиля Токтогулова"}


def test_a_new_name_replaces_the_old_in_the_index_and_erasure_removes_it(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    person = _create(client, osh_headers, name="Бакыт Осмонов")
    renamed = client.patch(
        f"{URL}/{person['id']}", json={"name": "Азамат Осмонов"}, headers=osh_headers
    )
    assert renamed.status_code == 200, renamed.text
    assert _names(client, osh_headers, name="бакыт") == set()
    assert _names(client, osh_headers, name="azamat") == {"Азамат Осмонов"}

    assert client.delete(f"{URL}/{person['id']}", headers=osh_headers).status_code == 204
    assert _names(client, osh_headers, name="azamat") == set()
    assert _token_count(db, person["id"]) == 0


def test_arabic_script_and_chinese_names_are_found(
    client: TestClient, osh_headers: dict[str, str]
) -> None:
    _create(client, osh_headers, name="محمّد رضایی")
    _create(client, osh_headers, name="王小明")
    _create(client, osh_headers, name="김민수")

    # Typed on an Arabic keyboard (another yeh, no shadda): the same name.
    assert _names(client, osh_headers, name="محمد رضائي") == {"محمّد رضایی"}
    assert _names(client, osh_headers, name="رضا") == {"محمّد رضایی"}
    # Chinese and Korean: any part of the name, one character included.
    assert _names(client, osh_headers, name="小明") == {"王小明"}
    assert _names(client, osh_headers, name="王") == {"王小明"}
    assert _names(client, osh_headers, name="민수") == {"김민수"}
    assert _names(client, osh_headers, name="小红") == set()


def test_too_short_a_name_is_refused(client: TestClient, osh_headers: dict[str, str]) -> None:
    response = client.get(URL, params={"name": "a"}, headers=osh_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


def test_a_phone_is_found_exactly_in_any_usual_form(
    client: TestClient, osh_headers: dict[str, str]
) -> None:
    _create(client, osh_headers, name="Phone Owner", phone="0555 314 159")
    _create(client, osh_headers, name="Someone Else")
    assert _names(client, osh_headers, phone="+996555314159") == {"Phone Owner"}
    assert _names(client, osh_headers, phone="0 555 31-41-59") == {"Phone Owner"}
    assert _names(client, osh_headers, phone="0555 314 158") == set()

    wrong = client.get(URL, params={"phone": "12345"}, headers=osh_headers)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "phone"
    assert "12345" not in wrong.text


def test_opted_out_and_last_invitation_filters(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    stopped = make_participant(db, name="Stopped Sender")
    stopped.opted_out_at = datetime.now(UTC)
    invited = make_participant(db, name="Invited Lately")
    never = make_participant(db, name="Never Invited")
    make_invitation(db, event=make_event(db), participant=invited)
    db.commit()

    assert "Stopped Sender" in _names(client, osh_headers, opted_out="true", limit=100)
    assert "Stopped Sender" not in _names(client, osh_headers, opted_out="false", limit=100)
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    recent = _names(client, osh_headers, invited_since=since, limit=100)
    assert "Invited Lately" in recent
    assert "Never Invited" not in recent
    quiet = _names(client, osh_headers, not_invited_since=since, limit=100)
    assert "Never Invited" in quiet
    assert "Invited Lately" not in quiet
    assert never.id


def test_imported_rows_are_searchable_and_a_dry_run_changes_nothing(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    csv = (
        "Аты-жөнү;Телефон;Тил;Шаар;Жамаат;Макулдук ыкмасы;Макулдук тексти;Макулдук күнү\n"
        "Гүлнара Турдубаева;0700 555 101;ky;osh;host;paper_form;2026-01;20.11.2026\n"
        "Broken Row;not a phone;ky;osh;host;paper_form;2026-01;20.11.2026\n"
    ).encode()
    before = db.scalar(select(func.count()).select_from(Participant))

    dry = client.post(
        f"{URL}/import",
        params={"dry_run": "true"},
        files={"file": ("list.csv", csv, "text/csv")},
        headers=osh_headers,
    )
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["imported"] is False
    assert report["accepted"] == 1
    assert report["rejected"] == 1
    assert report["errors"][0]["row"] == 3
    assert report["errors"][0]["field"] == "phone"
    assert db.scalar(select(func.count()).select_from(Participant)) == before

    done = client.post(
        f"{URL}/import",
        params={"partial": "true"},
        files={"file": ("list.csv", csv, "text/csv")},
        headers=osh_headers,
    )
    assert done.status_code == 200, done.text
    assert _names(client, osh_headers, name="гулнара") == {"Гүлнара Турдубаева"}


def test_columns_mapped_by_hand_replace_the_header(
    client: TestClient, osh_headers: dict[str, str]
) -> None:
    csv = (
        "Who;Mobile number;Lang;Town;Side;How;Version;When\n"
        "Эрмек Садыков;0700 555 202;ru;osh;migrant;paper_form;2026-01;20.11.2026\n"
    ).encode()
    columns = [
        "name",
        "phone",
        "language",
        "city",
        "community",
        "consent_method",
        "consent_text_version",
        "consent_given_at",
    ]
    unmapped = client.post(
        f"{URL}/import", files={"file": ("l.csv", csv, "text/csv")}, headers=osh_headers
    )
    assert unmapped.status_code == 422
    mapped = client.post(
        f"{URL}/import",
        params={"columns": columns},
        files={"file": ("l.csv", csv, "text/csv")},
        headers=osh_headers,
    )
    assert mapped.status_code == 200, mapped.text
    assert _names(client, osh_headers, name="Ermek") == {"Эрмек Садыков"}
    bad = client.post(
        f"{URL}/import",
        params={"columns": ["nonsense", *columns[1:]]},
        files={"file": ("l.csv", csv, "text/csv")},
        headers=osh_headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "columns"


def _reindex_all(db: Session) -> None:
    """What `birge pii reindex-names` does, batch after batch, in the test's session."""
    after = None
    while True:
        batch = pii.reindex_names_batch(session=db, cipher=get_cipher(), after=after)
        if batch.rows < pii.BATCH:
            break
        after = batch.last_id


def test_reindexing_rebuilds_every_name(db: Session) -> None:
    person = make_participant(db, name="Чолпон Абдыкадырова")
    db.execute(delete(ParticipantNameToken).where(ParticipantNameToken.participant_id == person.id))
    assert _token_count(db, person.id) == 0
    _reindex_all(db)
    assert _token_count(db, person.id) > 0


def test_reindexing_makes_names_in_other_scripts_searchable(
    client: TestClient, osh_headers: dict[str, str], db: Session
) -> None:
    # Rows indexed before other scripts were tokenised have no tokens for these names.
    people = [_create(client, osh_headers, name=name) for name in ("فاطمه احمدی", "李娜")]
    ids = [uuid.UUID(person["id"]) for person in people]
    db.execute(delete(ParticipantNameToken).where(ParticipantNameToken.participant_id.in_(ids)))
    db.commit()
    assert _names(client, osh_headers, name="فاطمه") == set()

    _reindex_all(db)
    db.commit()

    assert _names(client, osh_headers, name="فاطمة") == {"فاطمه احمدی"}
    assert _names(client, osh_headers, name="娜") == {"李娜"}


def test_export_is_utf8_csv_with_a_bom_and_audited(
    client: TestClient, osh_headers: dict[str, str], bishkek_headers: dict[str, str], db: Session
) -> None:
    person = _create(client, osh_headers, name="=Айжан Мамытова")
    response = client.post(
        f"{URL}/export", json={"participant_ids": [person["id"]]}, headers=osh_headers
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("name;phone;email;language;city")
    assert lines[1].startswith("'=Айжан Мамытова;+996772")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "participant.export")).one()
    assert entry.details == {"count": 1}
    other_city = client.post(
        f"{URL}/export", json={"participant_ids": [person["id"]]}, headers=bishkek_headers
    )
    assert other_city.status_code == 404


def test_reading_a_message_body_is_audited(
    client: TestClient,
    osh_headers: dict[str, str],
    bishkek_headers: dict[str, str],
    viewer_headers: dict[str, str],
    db: Session,
) -> None:
    person = make_participant(db, name="Reader Test")
    message = Message(
        direction=MessageDirection.INBOUND,
        channel=MessageChannel.SMS,
        purpose="reply",
        participant_id=person.id,
        body_encrypted=get_cipher().encrypt("Келем, рахмат"),
    )
    db.add(message)
    db.commit()  # a refused request rolls the shared session back to here
    url = f"{URL}/{person.id}/messages/{message.id}/read"

    assert client.post(url, headers=viewer_headers).status_code == 403
    assert client.post(url, headers=bishkek_headers).status_code == 404
    response = client.post(url, headers=osh_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"body": "Келем, рахмат"}
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "message.read")).one()
    assert entry.object_id == str(message.id)
    assert entry.details == {"participant_id": str(person.id)}
    assert (
        client.post(
            f"{URL}/{person.id}/messages/{uuid.uuid4()}/read", headers=osh_headers
        ).status_code
        == 404
    )


def test_an_export_imports_again_as_updates(
    client: TestClient, osh_headers: dict[str, str]
) -> None:
    people = [_create(client, osh_headers, name=f"Round Trip {n}") for n in range(2)]
    exported = client.post(
        f"{URL}/export",
        json={"participant_ids": [person["id"] for person in people]},
        headers=osh_headers,
    )
    again = client.post(
        f"{URL}/import",
        params={"update": "true", "dry_run": "true"},
        files={"file": ("participants.csv", exported.content, "text/csv")},
        headers=osh_headers,
    )
    assert again.status_code == 200, again.text
    assert again.json()["updated"] == 2
    assert again.json()["rejected"] == 0
