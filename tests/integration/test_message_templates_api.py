"""Message templates API against PostgreSQL: read the texts, edit them, restore the defaults."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Language, MessageTemplate
from birge_shared.sms.overrides import load_overrides
from birge_shared.sms.templates import DEFAULT_TEMPLATES, PLACEHOLDERS

URL = "/v1/message-templates"
Headers = dict[str, str]


def _templates(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(MessageTemplate)) or 0


def _assert_problem(response: Response, status: int, type_: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + type_), body
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}, body


def test_coordinators_read_every_purpose_in_every_language(
    client: TestClient, osh_headers: Headers
) -> None:
    response = client.get(URL, headers=osh_headers)

    assert response.status_code == 200
    entries = response.json()
    assert [(e["purpose"], e["language"]) for e in entries] == [
        (purpose, language.value) for purpose in PLACEHOLDERS for language in Language
    ]
    assert all(entry["is_default"] for entry in entries)
    by_key = {(e["purpose"], e["language"]): e for e in entries}
    invitation = by_key["invitation", "en"]
    assert invitation["body"] == DEFAULT_TEMPLATES["invitation"][Language.EN]
    assert invitation["placeholders"] == ["date", "link", "time", "title", "venue"]
    assert invitation["updated_at"] is None
    assert invitation["updated_by_id"] is None
    assert by_key["help", "ru"]["placeholders"] == []


def test_segment_counts_use_sample_values_of_realistic_length(
    client: TestClient, osh_headers: Headers
) -> None:
    by_key = {
        (e["purpose"], e["language"]): e["segments"]
        for e in client.get(URL, headers=osh_headers).json()
    }
    # "Language exchange evening" (25), "28 Sep", "18:30", "Ala-Too Youth Centre" (20) and
    # "http://testserver/p/" with a 43-character token (63) in the English default.
    english = (
        "Birge: you're invited to Language exchange evening! 28 Sep, 18:30, "
        "Ala-Too Youth Centre. Reply: http://testserver/p/" + "x" * 43
    )
    assert by_key["invitation", "en"] == {
        "encoding": "GSM-7",
        "characters": len(english),
        "segments": 1,
        # It fits one segment as it is: Beeline gets the same text.
        "one_segment": {
            "operators": "Beeline",
            "text": english,
            "shortened": False,
            "latin": False,
        },
    }
    # Cyrillic is UCS-2: the Russian invitation needs several 67-character parts.
    assert by_key["invitation", "ru"]["encoding"] == "UCS-2"
    assert by_key["invitation", "ru"]["segments"] == 3
    help_text = DEFAULT_TEMPLATES["help"][Language.EN]
    assert by_key["help", "en"] == {
        "encoding": "GSM-7",
        "characters": len(help_text),
        "segments": 1,
        "one_segment": {
            "operators": "Beeline",
            "text": help_text,
            "shortened": False,
            "latin": False,
        },
    }


def test_an_admin_edit_is_stored_audited_and_used(
    client: TestClient, admin_headers: Headers, osh_headers: Headers, db: Session
) -> None:
    body = "Birge: {title}, {date} {time}. Answer here: {link}"

    response = client.put(f"{URL}/invitation/en", json={"body": body}, headers=admin_headers)

    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["body"] == body
    assert entry["is_default"] is False
    assert entry["updated_at"] is not None
    assert entry["segments"]["encoding"] == "GSM-7"
    assert load_overrides(db) == {("invitation", Language.EN): body}
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "message_template.update"))
    (record,) = list(audit)
    assert record.object_id == "invitation:en"
    assert body not in str(record.details)

    listed = {(e["purpose"], e["language"]): e for e in client.get(URL, headers=osh_headers).json()}
    assert listed["invitation", "en"]["body"] == body
    assert listed["invitation", "ru"]["is_default"] is True
    assert client.get(f"{URL}/invitation/en", headers=osh_headers).json() == entry


def test_a_second_edit_replaces_the_first(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    client.put(f"{URL}/help/ky", json={"body": "Birge: ООБА же ЖОК."}, headers=admin_headers)
    second = client.put(f"{URL}/help/ky", json={"body": "Birge: жардам."}, headers=admin_headers)

    assert second.json()["body"] == "Birge: жардам."
    assert load_overrides(db) == {("help", Language.KY): "Birge: жардам."}


def test_an_edit_into_a_second_segment_shows_it(client: TestClient, admin_headers: Headers) -> None:
    single = client.put(f"{URL}/help/en", json={"body": "a" * 160}, headers=admin_headers)
    double = client.put(f"{URL}/help/en", json={"body": "a" * 161}, headers=admin_headers)

    assert single.json()["segments"]["segments"] == 1
    assert double.json()["segments"]["segments"] == 2


def test_delete_restores_the_default(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    client.put(f"{URL}/declined/ru", json={"body": "Birge: жаль. {link}"}, headers=admin_headers)

    response = client.delete(f"{URL}/declined/ru", headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["is_default"] is True
    assert response.json()["body"] == DEFAULT_TEMPLATES["declined"][Language.RU]
    assert load_overrides(db) == {}
    # Deleting what is already the default changes nothing and is not an error.
    assert client.delete(f"{URL}/declined/ru", headers=admin_headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Birge: call {phone}", "unknown placeholder {phone}"),
        ("Birge: {title} {link}", "unknown placeholder {title}"),  # help takes none
        ("Birge: {title", "unbalanced braces"),
        ("Birge: {0}", "unknown placeholder {0}"),
        ("   ", "the text is empty"),
    ],
)
def test_invalid_templates_are_422_naming_body_and_change_nothing(
    client: TestClient, admin_headers: Headers, db: Session, body: str, reason: str
) -> None:
    response = client.put(f"{URL}/help/en", json={"body": body}, headers=admin_headers)

    _assert_problem(response, 422, "invalid-template", "body")
    assert reason in response.json()["errors"][0]["detail"]
    assert _templates(db) == 0


def test_a_format_spec_is_refused(client: TestClient, admin_headers: Headers, db: Session) -> None:
    response = client.put(
        f"{URL}/invitation/en", json={"body": "Birge: {title!r:>40}"}, headers=admin_headers
    )
    _assert_problem(response, 422, "invalid-template", "body")
    assert _templates(db) == 0


@pytest.mark.parametrize(
    "payload",
    [{}, {"body": ""}, {"body": "x" * 1001}, {"body": "ok", "language": "en"}, {"body": 5}],
)
def test_malformed_bodies_are_422(
    client: TestClient, admin_headers: Headers, db: Session, payload: dict[str, Any]
) -> None:
    response = client.put(f"{URL}/help/en", json=payload, headers=admin_headers)
    assert response.status_code == 422
    assert _templates(db) == 0


@pytest.mark.parametrize("path", ["/reminders/en", "/help/de", "/help/EN", "/invitation/"])
def test_unknown_purpose_or_language_is_404(
    client: TestClient, admin_headers: Headers, db: Session, path: str
) -> None:
    for response in (
        client.get(URL + path, headers=admin_headers),
        client.put(URL + path, json={"body": "Birge: hello"}, headers=admin_headers),
        client.delete(URL + path, headers=admin_headers),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert _templates(db) == 0


def test_only_admins_edit_and_viewers_do_not_read(
    client: TestClient,
    osh_headers: Headers,
    viewer_headers: Headers,
    db: Session,
) -> None:
    body = {"body": "Birge: hello"}
    _assert_problem(client.put(f"{URL}/help/en", json=body, headers=osh_headers), 403, "forbidden")
    _assert_problem(client.delete(f"{URL}/help/en", headers=osh_headers), 403, "forbidden")
    _assert_problem(client.get(URL, headers=viewer_headers), 403, "forbidden")
    _assert_problem(client.get(f"{URL}/help/en", headers=viewer_headers), 403, "forbidden")
    assert client.get(URL).status_code == 401
    assert _templates(db) == 0


def test_a_preview_counts_a_draft_and_saves_nothing(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    single = client.post(f"{URL}/help/en/preview", json={"body": "a" * 160}, headers=admin_headers)
    double = client.post(f"{URL}/help/en/preview", json={"body": "a" * 161}, headers=admin_headers)

    assert single.status_code == 200, single.text
    assert single.json() == {
        "encoding": "GSM-7",
        "characters": 160,
        "segments": 1,
        "one_segment": {
            "operators": "Beeline",
            "text": "a" * 160,
            "shortened": False,
            "latin": False,
        },
    }
    assert double.json()["segments"] == 2
    # Too long for one segment: Beeline numbers get the built-in help text instead.
    assert double.json()["one_segment"] == {
        "operators": "Beeline",
        "text": DEFAULT_TEMPLATES["help"][Language.EN],
        "shortened": True,
        "latin": False,
    }
    assert _templates(db) == 0
    written = select(func.count()).where(AuditEntry.action.like("message_template.%"))
    assert db.scalar(written) == 0


def test_a_preview_refuses_unknown_placeholders_as_saving_would(
    client: TestClient, admin_headers: Headers, bishkek_headers: Headers
) -> None:
    refused = client.post(
        f"{URL}/help/en/preview", json={"body": "Birge: call {phone}"}, headers=admin_headers
    )
    coordinator = client.post(
        f"{URL}/help/en/preview", json={"body": "Birge"}, headers=bishkek_headers
    )

    _assert_problem(refused, 422, "invalid-template", "body")
    assert "unknown placeholder {phone}" in refused.json()["errors"][0]["detail"]
    assert coordinator.status_code == 403
