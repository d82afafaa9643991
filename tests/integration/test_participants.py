from __future__ import annotations

import itertools
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from birge_api.pagination import encode_cursor
from birge_api.participants import service
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    ActivityType,
    AuditEntry,
    Event,
    Invitation,
    Message,
    MessageChannel,
    MessageDirection,
    Participant,
)

URL = "/v1/participants"
_numbers = itertools.count(1)


def _phone() -> str:
    """A distinct Kyrgyz mobile written the local way, like coordinators type it."""
    number = next(_numbers)
    return f"0700 {number // 1000:03d} {number % 1000:03d}"


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Aida",
        "phone": _phone(),
        "email": None,
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
    return body


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json=_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Participant)) or 0


def _assert_problem(response: Response, status: int, type_: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + type_)
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}


def test_create_normalises_the_phone_and_returns_the_full_read_model(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    response = client.post(
        URL,
        json=_body(name="Aida", phone="0555 123 456", email="Aida@Example.org"),
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{URL}/{body['id']}"
    assert body["name"] == "Aida"
    assert body["phone"] == "+996555123456"
    assert body["phone_masked"] == "+996 555 *** 456"
    assert body["email"] == "aida@example.org"
    assert body["language"] == "ky"
    assert body["city"] == "osh"
    assert body["community"] == "host"
    assert body["consent"]["method"] == "paper_form"
    assert body["consent"]["text_version"] == "2026-01"
    assert datetime.fromisoformat(body["consent"]["given_at"]) == datetime(
        2026, 11, 20, 4, 0, tzinfo=UTC
    )
    assert body["opted_out_at"] is None
    assert body["erased_at"] is None
    assert body["created_at"]

    stored = db.get(Participant, uuid.UUID(body["id"]))
    assert stored is not None
    assert stored.phone_hash == get_cipher().lookup_hash("phone", "+996555123456")
    assert stored.email_hash == get_cipher().lookup_hash("email", "aida@example.org")


def test_get_shows_the_full_number_and_email_to_an_allowed_reader(
    client: TestClient, admin_headers: dict[str, str], osh_headers: dict[str, str]
) -> None:
    created = _create(client, admin_headers, phone="0555 123 456", email="aida@example.org")
    response = client.get(f"{URL}/{created['id']}", headers=osh_headers)
    assert response.status_code == 200
    assert response.json()["phone"] == "+996555123456"
    assert response.json()["email"] == "aida@example.org"


def test_list_masks_contact_details_and_never_shows_them_in_full(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = _create(client, admin_headers, phone="0555 123 456", email="aida@example.org")
    response = client.get(URL, headers=admin_headers)
    assert response.status_code == 200
    (item,) = [item for item in response.json()["items"] if item["id"] == created["id"]]
    assert item["phone_masked"] == "+996 555 *** 456"
    assert item["email_masked"] == "a***@example.org"
    assert "phone" not in item
    assert "email" not in item
    assert "555123456" not in response.text
    assert "aida@example.org" not in response.text


def test_list_filters_by_city_community_and_language(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    host_ky = _create(client, admin_headers, city="osh", community="host", language="ky")
    migrant_en = _create(client, admin_headers, city="osh", community="migrant", language="en")
    bishkek = _create(client, admin_headers, city="bishkek", community=None, language="ru")

    def ids(**params: str) -> set[str]:
        response = client.get(URL, params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ids(city="osh") == {host_ky["id"], migrant_en["id"]}
    assert ids(city="bishkek") == {bishkek["id"]}
    assert ids(community="migrant") == {migrant_en["id"]}
    assert ids(language="ky", city="osh") == {host_ky["id"]}
    _assert_problem(
        client.get(URL, params={"community": "tourist"}, headers=admin_headers),
        422,
        "validation-error",
        "query.community",
    )


def test_keyset_pages_walk_every_participant_once(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = {_create(client, admin_headers)["id"] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(URL, params=params, headers=admin_headers).json()
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert len(seen) == len(set(seen))
    assert set(seen) == created


def test_page_size_is_capped_and_a_forged_cursor_is_a_422(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _assert_problem(
        client.get(URL, params={"limit": 101}, headers=admin_headers),
        422,
        "validation-error",
        "query.limit",
    )
    _assert_problem(
        client.get(URL, params={"cursor": "garbage"}, headers=admin_headers),
        422,
        "validation-error",
        "cursor",
    )
    # A well-formed cursor with a naive time must not reach the UTC column as a 500.
    forged = encode_cursor(datetime(2026, 1, 1), uuid.UUID(int=0))  # noqa: DTZ001 - on purpose
    _assert_problem(
        client.get(URL, params={"cursor": forged}, headers=admin_headers),
        422,
        "validation-error",
        "cursor",
    )


@pytest.mark.parametrize(
    ("overrides", "type_", "field"),
    [
        ({"city": "karakol"}, "unknown-city", "city"),
        ({"phone": "0312 123456"}, "validation-error", "phone"),
        ({"phone": "12345"}, "validation-error", "phone"),
        ({"phone": "call me"}, "validation-error", "phone"),
        ({"email": "aida@"}, "validation-error", "email"),
        ({"language": "de"}, "validation-error", "language"),
        ({"community": "tourist"}, "validation-error", "community"),
        ({"name": ""}, "validation-error", "name"),
        (
            {
                "consent": {
                    "method": "paper_form",
                    "text_version": "2026-01",
                    "given_at": "2026-11-20T10:00:00",
                }
            },
            "validation-error",
            "consent.given_at",
        ),
        (
            {"consent": {"method": "telepathy", "text_version": "1", "given_at": "2026-11-20Z"}},
            "validation-error",
            "consent.method",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    db: Session,
    *,
    overrides: dict[str, Any],
    type_: str,
    field: str,
) -> None:
    before = _count(db)
    response = client.post(URL, json=_body(**overrides), headers=admin_headers)
    _assert_problem(response, 422, type_, field)
    assert "0312" not in response.text
    assert _count(db) == before


def test_a_duplicate_phone_in_any_form_is_a_409_and_changes_nothing(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    _create(client, admin_headers, phone="0555 123 456")
    before = _count(db)
    response = client.post(URL, json=_body(phone="+996 555 123456"), headers=admin_headers)
    _assert_problem(response, 409, "duplicate-phone", "phone")
    assert "555" not in response.text
    assert _count(db) == before


def test_the_unique_index_catches_a_duplicate_the_look_up_missed(
    client: TestClient,
    admin_headers: dict[str, str],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _create(client, admin_headers, phone="0555 123 456")
    before = _count(db)
    # As when two requests register the same number at once: both pass the look-up.
    monkeypatch.setattr(service, "_phone_taken", lambda *_args, **_kwargs: False)
    response = client.post(URL, json=_body(phone="0555 123 456"), headers=admin_headers)
    _assert_problem(response, 409, "duplicate-phone", "phone")
    assert _count(db) == before
    _create(client, admin_headers, phone="0555 123 457")


def test_coordinator_sees_only_their_cities(
    client: TestClient,
    admin_headers: dict[str, str],
    bishkek_headers: dict[str, str],
    db: Session,
) -> None:
    in_osh = _create(client, admin_headers, city="osh")
    in_bishkek = _create(client, bishkek_headers, city="bishkek")
    path = f"{URL}/{in_osh['id']}"

    _assert_problem(client.get(path, headers=bishkek_headers), 404, "not-found")
    _assert_problem(
        client.patch(path, json={"language": "ru"}, headers=bishkek_headers), 404, "not-found"
    )
    _assert_problem(client.delete(path, headers=bishkek_headers), 404, "not-found")
    listed = {item["id"] for item in client.get(URL, headers=bishkek_headers).json()["items"]}
    assert listed == {in_bishkek["id"]}
    assert client.get(URL, params={"city": "osh"}, headers=bishkek_headers).json()["items"] == []

    stored = db.get(Participant, uuid.UUID(in_osh["id"]))
    assert stored is not None
    db.refresh(stored)
    assert stored.language.value == "ky"
    assert stored.erased_at is None


def test_creating_in_an_unassigned_city_is_a_403_naming_the_city(
    client: TestClient, bishkek_headers: dict[str, str], db: Session
) -> None:
    before = _count(db)
    response = client.post(URL, json=_body(city="osh"), headers=bishkek_headers)
    _assert_problem(response, 403, "city-not-assigned", "city")
    assert _count(db) == before


def test_moving_a_participant_to_an_unassigned_city_is_a_403(
    client: TestClient, bishkek_headers: dict[str, str]
) -> None:
    created = _create(client, bishkek_headers, city="bishkek")
    path = f"{URL}/{created['id']}"
    response = client.patch(path, json={"city": "osh"}, headers=bishkek_headers)
    _assert_problem(response, 403, "city-not-assigned", "city")
    assert client.get(path, headers=bishkek_headers).json()["city"] == "bishkek"


def test_viewers_are_refused_every_participant_endpoint(
    client: TestClient, admin_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    created = _create(client, admin_headers)
    path = f"{URL}/{created['id']}"
    files = {"file": ("list.csv", b"name\n", "text/csv")}
    responses = [
        client.get(URL, headers=viewer_headers),
        client.post(URL, json=_body(), headers=viewer_headers),
        client.get(path, headers=viewer_headers),
        client.patch(path, json={"language": "ru"}, headers=viewer_headers),
        client.delete(path, headers=viewer_headers),
        client.post(f"{URL}/import", files=files, headers=viewer_headers),
    ]
    for response in responses:
        _assert_problem(response, 403, "forbidden")


def test_no_token_is_a_401_everywhere(client: TestClient) -> None:
    path = f"{URL}/{uuid.uuid4()}"
    files = {"file": ("list.csv", b"name\n", "text/csv")}
    responses = [
        client.get(URL),
        client.post(URL, json=_body()),
        client.get(path),
        client.patch(path, json={"language": "ru"}),
        client.delete(path),
        client.post(f"{URL}/import", files=files),
    ]
    for response in responses:
        _assert_problem(response, 401, "unauthorized")


def test_the_stored_row_holds_no_personal_data_in_plain_text(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    created = _create(
        client,
        admin_headers,
        name="Gulnara Toktogulova",
        phone="0555 987 654",
        email="gulnara.t@example.org",
    )
    client.patch(f"{URL}/{created['id']}", json={"name": "Gulnara Asanova"}, headers=admin_headers)
    rows = db.execute(text("SELECT * FROM participant")).all()
    audit_rows = db.execute(text("SELECT * FROM audit_entry")).all()
    dumped = " ".join(str(value) for row in [*rows, *audit_rows] for value in row).lower()
    for secret in [
        "+996555987654",
        "996555987654",
        "0555987654",
        "555987654",
        "555 987 654",
        "987654",
        "gulnara",
        "toktogulova",
        "asanova",
        "example.org",
    ]:
        assert secret not in dumped, secret


def test_update_re_encrypts_and_re_hashes_changed_contact_details(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    created = _create(client, admin_headers, phone="0555 111 222", email="old@example.org")
    path = f"{URL}/{created['id']}"
    response = client.patch(
        path,
        json={"phone": "0777 333 444", "email": "New@Example.org", "community": None},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phone"] == "+996777333444"
    assert body["email"] == "new@example.org"
    assert body["community"] is None
    assert body["name"] == "Aida"

    stored = db.get(Participant, uuid.UUID(created["id"]))
    assert stored is not None
    assert stored.phone_hash == get_cipher().lookup_hash("phone", "+996777333444")
    assert stored.email_hash == get_cipher().lookup_hash("email", "new@example.org")
    # The old number is free again.
    _create(client, admin_headers, phone="0555 111 222")

    cleared = client.patch(path, json={"email": None}, headers=admin_headers)
    assert cleared.json()["email"] is None
    db.refresh(stored)
    assert stored.email_encrypted is None
    assert stored.email_hash is None

    actions = db.scalars(
        select(AuditEntry.details).where(
            AuditEntry.action == "participant.update", AuditEntry.object_id == created["id"]
        )
    ).all()
    assert {"fields": ["community", "email", "phone"]} in actions


def test_bad_updates_are_problems_and_change_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    taken = _create(client, admin_headers, phone="0555 444 555")
    created = _create(client, admin_headers, phone="0555 666 777")
    path = f"{URL}/{created['id']}"
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"phone": "0555 444 555"}, 409, "duplicate-phone", "phone"),
        ({"phone": "0312 123456"}, 422, "validation-error", "phone"),
        ({"name": None}, 422, "validation-error", "name"),
        ({"phone": None}, 422, "validation-error", "phone"),
        ({"city": "karakol"}, 422, "unknown-city", "city"),
        (
            {"consent": {"method": "sms", "text_version": "2", "given_at": "2026-11-21T08:00"}},
            422,
            "validation-error",
            "consent.given_at",
        ),
        ({"nickname": "A"}, 422, "validation-error", "nickname"),
    ]
    for patch, status, type_, field in cases:
        _assert_problem(client.patch(path, json=patch, headers=admin_headers), status, type_, field)
    after = client.get(path, headers=admin_headers).json()
    assert after == created
    assert taken["phone"] == "+996555444555"
    # Patching a participant with its own number is not a duplicate.
    same = client.patch(path, json={"phone": "+996555666777"}, headers=admin_headers)
    assert same.status_code == 200


def _message_for(db: Session, participant_id: uuid.UUID) -> tuple[Message, Message]:
    event = Event(
        city_code="osh",
        title={"en": "Plov evening"},
        activity_type=ActivityType.COOKING,
        venue_name="Community centre",
        venue_address="Lenin street 1",
        starts_at=datetime.now(UTC) + timedelta(days=3),
        ends_at=datetime.now(UTC) + timedelta(days=3, hours=2),
        capacity=10,
    )
    db.add(event)
    db.flush()
    invitation = Invitation(event_id=event.id, participant_id=participant_id)
    db.add(invitation)
    db.flush()
    cipher = get_cipher()
    direct = Message(
        direction=MessageDirection.INBOUND,
        channel=MessageChannel.SMS,
        purpose="reply",
        participant_id=participant_id,
        body_encrypted=cipher.encrypt("YES"),
    )
    via_invitation = Message(
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.SMS,
        purpose="invite",
        invitation_id=invitation.id,
        body_encrypted=cipher.encrypt("You are invited"),
    )
    db.add_all([direct, via_invitation])
    db.commit()
    return direct, via_invitation


def test_erasure_wipes_personal_data_and_keeps_an_anonymous_stub(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    created = _create(
        client,
        admin_headers,
        phone="0555 222 333",
        email="erase.me@example.org",
        city="osh",
        community="migrant",
        language="en",
    )
    participant_id = uuid.UUID(created["id"])
    direct, via_invitation = _message_for(db, participant_id)
    path = f"{URL}/{created['id']}"

    response = client.delete(path, headers=admin_headers)
    assert response.status_code == 204
    assert response.content == b""

    row = (
        db.execute(text("SELECT * FROM participant WHERE id = :id"), {"id": participant_id})
        .one()
        ._mapping
    )
    for column in (
        "name_encrypted",
        "phone_encrypted",
        "phone_hash",
        "email_encrypted",
        "email_hash",
    ):
        assert row[column] is None, column
    assert row["erased_at"] is not None
    assert (row["city_code"], row["community"], row["language"]) == ("osh", "migrant", "en")
    bodies = (
        db.execute(
            text("SELECT body_encrypted FROM message WHERE id IN (:a, :b)"),
            {"a": direct.id, "b": via_invitation.id},
        )
        .scalars()
        .all()
    )
    assert bodies == [None, None]

    _assert_problem(client.get(path, headers=admin_headers), 404, "not-found")
    _assert_problem(client.delete(path, headers=admin_headers), 404, "not-found")
    _assert_problem(
        client.patch(path, json={"language": "ru"}, headers=admin_headers), 404, "not-found"
    )
    listed = client.get(URL, headers=admin_headers).json()["items"]
    assert created["id"] not in {item["id"] for item in listed}
    stubs = client.get(URL, params={"include_erased": "true"}, headers=admin_headers).json()
    (stub,) = [item for item in stubs["items"] if item["id"] == created["id"]]
    assert stub["name"] is None
    assert stub["phone_masked"] is None
    assert stub["email_masked"] is None
    assert stub["community"] == "migrant"
    assert stub["has_consent"] is False
    # Nothing left can find the person by number: the number registers afresh.
    assert _create(client, admin_headers, phone="0555 222 333")["id"] != created["id"]

    erasures = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "participant.erase", AuditEntry.object_id == created["id"]
        )
    ).all()
    assert [entry.details for entry in erasures] == [
        {
            "message_bodies_cleared": 2,
            "comments_cleared": 0,
            "contact_pairs_removed": 0,
            "channels_removed": 0,
            "invitations_withdrawn": 1,
            "messages_skipped": 0,
        }
    ]


def test_an_unknown_id_is_a_404_and_a_malformed_one_a_422(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _assert_problem(client.get(f"{URL}/{uuid.uuid4()}", headers=admin_headers), 404, "not-found")
    _assert_problem(
        client.get(f"{URL}/not-a-uuid", headers=admin_headers),
        422,
        "validation-error",
        "path.participant_id",
    )


def test_no_personal_data_reaches_the_logs(
    client: TestClient, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = _create(
        client, admin_headers, name="Nurlan Logcheck", phone="0555 314 159", email="n@example.org"
    )
    client.post(URL, json=_body(phone="0555 314 159"), headers=admin_headers)
    client.post(URL, json=_body(phone="0312 314159"), headers=admin_headers)
    client.delete(f"{URL}/{created['id']}", headers=admin_headers)
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    ).lower()
    assert caplog.records
    for secret in ("314159", "314 159", "nurlan", "logcheck", "n@example.org"):
        assert secret not in logged, secret
