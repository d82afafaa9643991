"""The audit trail API: administrators only, newest first, filtered, and free of personal data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import audit
from birge_shared.models import AuditEntry, Role
from tests.conftest import TEST_PASSWORD, UserFactory, bearer
from tests.factories import make_participant, unique_phone

URL = "/v1/audit"


def _local(e164: str) -> str:
    # The API takes Kyrgyz numbers as written locally; the audit trail must hold neither form.
    return "0" + e164.removeprefix("+996")


def _pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(URL, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


def _actions(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    return [item["action"] for item in _pages(client, headers, **params)]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VIEWER])
def test_only_administrators_read_the_trail(
    client: TestClient, make_user: UserFactory, role: Role
) -> None:
    response = client.get(URL, headers=bearer(make_user(role, ("osh",))))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(URL).status_code == 401


def test_entries_come_newest_first_across_pages(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    object_id = uuid.uuid4()
    start = datetime.now(UTC) - timedelta(hours=1)
    for minute in range(5):
        entry = audit.record(
            session=db, actor_id=None, action="test.step", object_type="thing", object_id=object_id
        )
        entry.at = start + timedelta(minutes=minute)
        entry.details = {"step": minute}
    db.commit()

    items = _pages(client, admin_headers, object_id=str(object_id), limit=2)

    assert [item["details"]["step"] for item in items] == [4, 3, 2, 1, 0]
    assert len({item["id"] for item in items}) == 5
    assert {item["object_type"] for item in items} == {"thing"}


def test_filters_narrow_the_trail(
    client: TestClient, admin_headers: dict[str, str], db: Session, make_user: UserFactory
) -> None:
    actor = make_user(Role.COORDINATOR, ("osh",))
    thing = str(uuid.uuid4())
    start = datetime.now(UTC) - timedelta(days=3)
    for day, (action, who) in enumerate(
        [("thing.create", actor.id), ("thing.update", actor.id), ("thing.update", None)]
    ):
        entry = audit.record(
            session=db, actor_id=who, action=action, object_type="thing", object_id=thing
        )
        entry.at = start + timedelta(days=day)
    db.commit()

    by_object = {"object_id": thing}
    assert _actions(client, admin_headers, **by_object) == [
        "thing.update",
        "thing.update",
        "thing.create",
    ]
    assert _actions(client, admin_headers, **by_object, action="thing.create") == ["thing.create"]
    assert len(_actions(client, admin_headers, **by_object, actor_id=str(actor.id))) == 2
    since = (start + timedelta(days=1)).isoformat()
    assert len(_actions(client, admin_headers, **by_object, **{"from": since})) == 2
    assert _actions(client, admin_headers, **by_object, to=since) == ["thing.create"]
    assert _actions(client, admin_headers, object_type="no-such-type") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"from": "2026-11-20T10:00:00"}, "query.from"),
        ({"actor_id": "someone"}, "query.actor_id"),
        ({"limit": "1000"}, "query.limit"),
    ],
)
def test_bad_filters_are_422_problems_naming_the_field(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = client.get(URL, params=params, headers=admin_headers)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


def test_a_participants_life_leaves_entries_without_personal_data(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    name, new_name, email = "Aidai Mamytova", "Aidai M.", "aidai.m@example.org"
    phone, new_phone = unique_phone(), unique_phone()
    created = client.post(
        "/v1/participants",
        json={
            "name": name,
            "phone": _local(phone),
            "email": email,
            "language": "ky",
            "city": "osh",
            "community": "migrant",
            "consent": {
                "method": "paper_form",
                "text_version": "2026-01",
                "given_at": "2026-11-20T10:00:00+06:00",
            },
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    participant_id = created.json()["id"]
    updated = client.patch(
        f"/v1/participants/{participant_id}",
        json={"name": new_name, "phone": new_phone},
        headers=admin_headers,
    )
    assert updated.status_code == 200, updated.text
    erased = client.delete(f"/v1/participants/{participant_id}", headers=admin_headers)
    assert erased.status_code == 204

    listed = _pages(client, admin_headers, object_id=participant_id)
    assert [item["action"] for item in listed] == [
        "participant.erase",
        "participant.update",
        "participant.create",
    ]
    stored = json.dumps(
        [
            [entry.action, entry.object_type, entry.object_id, entry.details]
            for entry in db.scalars(select(AuditEntry))
        ],
        ensure_ascii=False,
    )
    served = json.dumps(listed, ensure_ascii=False)
    for secret in (name, new_name, email, phone, new_phone, _local(phone), phone[4:]):
        assert secret not in stored
        assert secret not in served


def test_the_trail_records_who_did_what(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    db: Session,
    make_user: UserFactory,
) -> None:
    """Events, invitations, imports, erasure, logins and role changes all leave entries."""
    event = client.post(
        "/v1/events",
        json={
            "city": "osh",
            "title": {"en": "Plov together"},
            "activity_type": "cooking",
            "venue": {"name": "Community kitchen", "address": "Kurmanjan Datka st. 1"},
            "starts_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
            "ends_at": (datetime.now(UTC) + timedelta(days=10, hours=2)).isoformat(),
            "capacity": 4,
        },
        headers=admin_headers,
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    changed = client.patch(f"/v1/events/{event_id}", json={"capacity": 6}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    person = make_participant(db, city="osh")
    db.commit()
    invited = client.post(
        f"/v1/events/{event_id}/invitations",
        json={"participant_ids": [str(person.id)]},
        headers=admin_headers,
    )
    assert invited.status_code == 202, invited.text
    assert client.post(f"/v1/events/{event_id}/cancel", headers=admin_headers).status_code == 200
    header = "name,phone,language,city,consent_method,consent_text_version,consent_given_at"
    row = f"Nurlan,{_local(unique_phone())},ru,osh,paper_form,2026-01,2026-11-20T10:00:00+06:00"
    imported = client.post(
        "/v1/participants/import",
        files={"file": ("people.csv", f"{header}\n{row}\n".encode(), "text/csv")},
        headers=admin_headers,
    )
    assert imported.status_code == 200, imported.text
    erased = client.delete(f"/v1/participants/{person.id}", headers=admin_headers)
    assert erased.status_code == 204
    staff = make_user(Role.VIEWER, ("osh",))
    # From an address of its own, so this failure counts against no other test's logins.
    with TestClient(app, client=(f"2001:db8::a:{uuid.uuid4().hex[:4]}", 50000)) as elsewhere:
        good = {"username": staff.email, "password": TEST_PASSWORD}
        assert elsewhere.post("/v1/auth/token", data=good).status_code == 200
        bad = {"username": staff.email, "password": "not the password"}
        assert elsewhere.post("/v1/auth/token", data=bad).status_code == 401
    promoted = client.patch(
        f"/v1/users/{staff.id}", json={"role": "coordinator"}, headers=admin_headers
    )
    assert promoted.status_code == 200, promoted.text

    assert _actions(client, admin_headers, object_id=event_id) == [
        "event.cancel",
        "event.update",
        "event.create",
    ]
    assert _actions(client, admin_headers, action="invitations.create", limit=1)
    assert _actions(client, admin_headers, action="participant.import", limit=1)
    assert _actions(client, admin_headers, object_id=str(person.id)) == ["participant.erase"]
    assert _actions(client, admin_headers, object_id=str(staff.id)) == [
        "user.update",
        "login.failed",
        "login",
    ]
    served = json.dumps(_pages(client, admin_headers, object_id=str(staff.id)))
    assert staff.email not in served
