"""Staff accounts through /v1/users: administrators create them and change roles and access."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Role, User
from tests.conftest import UserFactory, bearer

URL = "/v1/users"
PASSWORD = "a long enough secret"


def _email() -> str:
    return f"staff-{uuid.uuid4().hex[:8]}@example.org"


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"email": _email(), "role": "coordinator", "cities": ["osh"], "password": PASSWORD}
    body.update(overrides)
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _audit(db: Session, user_id: str, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.object_id == user_id, AuditEntry.action == action)
    return list(db.scalars(query))


def test_an_admin_creates_staff_who_can_log_in(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    email = _email()
    response = client.post(
        URL,
        json={
            "email": f"  {email.upper()} ",
            "role": "coordinator",
            "cities": ["osh", "OSH"],
            "password": PASSWORD,
        },
        headers=admin_headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    assert body["email"] == email
    assert body["cities"] == ["osh"]
    assert body["is_active"] is True
    assert "password" not in response.text
    login = client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert login.status_code == 200
    [entry] = _audit(db, body["id"], "user.create")
    assert entry.details == {"role": "coordinator", "cities": ["osh"]}
    assert email not in repr(entry.details)


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"password": "too short"}, 422, "password"),
        ({"email": "not an address"}, 422, "email"),
        ({"role": "superuser"}, 422, "role"),
        ({"cities": ["atlantis"]}, 422, "cities"),
        ({"is_admin": True}, 422, "is_admin"),
        ({"password": " " * 10}, 422, "password"),
        ({"password": "aaaaaaaaaa"}, 422, "password"),
        ({"password": "1234567890"}, 422, "password"),
        ({"cities": []}, 422, "cities"),
        ({"role": "coordinator", "cities": []}, 422, "cities"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    client: TestClient,
    admin_headers: dict[str, str],
    overrides: dict[str, Any],
    status: int,
    field: str,
) -> None:
    body = {"email": _email(), "role": "viewer", "cities": ["osh"], "password": PASSWORD}
    body.update(overrides)
    response = client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_a_taken_email_is_a_409(client: TestClient, admin_headers: dict[str, str]) -> None:
    first = _create(client, admin_headers)
    response = client.post(
        URL,
        json={"email": first["email"].upper(), "role": "viewer", "password": PASSWORD},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/email-taken")
    assert response.json()["errors"][0]["field"] == "email"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.VIEWER])
def test_only_administrators_manage_accounts(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory, role: Role
) -> None:
    headers = bearer(make_user(role, ("osh",)))
    target = _create(client, admin_headers)
    body = {"email": _email(), "role": "admin", "password": PASSWORD}

    assert client.get(URL, headers=headers).status_code == 403
    assert client.post(URL, json=body, headers=headers).status_code == 403
    assert client.get(f"{URL}/{target['id']}", headers=headers).status_code == 403
    promote = client.patch(f"{URL}/{target['id']}", json={"role": "admin"}, headers=headers)
    assert promote.status_code == 403


def test_accounts_are_listed_in_pages(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = {_create(client, admin_headers, role="viewer")["id"] for _ in range(3)}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "role": "viewer"}
        if cursor:
            params["cursor"] = cursor
        page = client.get(URL, params=params, headers=admin_headers).json()
        assert all(item["role"] == "viewer" for item in page["items"])
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_a_role_change_is_audited_with_what_changed(
    client: TestClient, admin_headers: dict[str, str], db: Session
) -> None:
    user = _create(client, admin_headers, role="viewer", cities=["osh"])

    response = client.patch(
        f"{URL}/{user['id']}",
        json={"role": "coordinator", "cities": ["bishkek", "osh"]},
        headers=admin_headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "coordinator"
    assert response.json()["cities"] == ["bishkek", "osh"]
    [entry] = _audit(db, user["id"], "user.update")
    assert entry.details == {
        "changes": {
            "role": {"from": "viewer", "to": "coordinator"},
            "cities": {"from": ["osh"], "to": ["bishkek", "osh"]},
        }
    }
    assert entry.actor_id is not None
    unchanged = client.patch(
        f"{URL}/{user['id']}", json={"role": "coordinator"}, headers=admin_headers
    )
    assert unchanged.status_code == 200
    assert len(_audit(db, user["id"], "user.update")) == 1


def test_a_disabled_account_loses_its_tokens(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    staff = make_user(Role.COORDINATOR, ("osh",))
    headers = bearer(staff)
    assert client.get("/v1/events", headers=headers).status_code == 200

    response = client.patch(f"{URL}/{staff.id}", json={"is_active": False}, headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert client.get("/v1/events", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [({"role": None}, "role"), ({"cities": ["atlantis"]}, "cities"), ({"rol": "admin"}, "rol")],
)
def test_bad_changes_are_422_naming_the_field(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    user = _create(client, admin_headers)
    response = client.patch(f"{URL}/{user['id']}", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_an_unknown_account_is_a_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    missing = f"{URL}/{uuid.uuid4()}"
    assert client.get(missing, headers=admin_headers).status_code == 404
    assert (
        client.patch(missing, json={"is_active": False}, headers=admin_headers).status_code == 404
    )


def test_the_last_active_administrator_cannot_be_demoted_or_disabled(
    client: TestClient, make_user: UserFactory, db: Session
) -> None:
    admin = make_user(Role.ADMIN)
    db.execute(
        update(User).where(User.role == Role.ADMIN, User.id != admin.id).values(is_active=False)
    )
    db.commit()
    headers = bearer(admin)

    demote = client.patch(f"{URL}/{admin.id}", json={"role": "viewer"}, headers=headers)
    disable = client.patch(f"{URL}/{admin.id}", json={"is_active": False}, headers=headers)

    assert demote.status_code == 409
    assert demote.json()["type"].endswith("/last-admin")
    assert demote.json()["errors"][0]["field"] == "role"
    assert disable.status_code == 409
    assert disable.json()["errors"][0]["field"] == "is_active"
    other = _create(client, headers, role="admin")
    assert (
        client.patch(
            f"{URL}/{admin.id}", json={"role": "viewer", "cities": ["osh"]}, headers=headers
        ).status_code
        == 200
    )
    assert other["role"] == "admin"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short one", "at least 10 characters"),
        (" " * 10, "only spaces"),
        ("aaaaaaaaaa", "Repeats"),
        ("1234567890", "common password"),
        ("qwertyuiop", "common password"),
    ],
)
def test_a_trivial_password_is_refused_saying_why(
    client: TestClient, admin_headers: dict[str, str], db: Session, password: str, reason: str
) -> None:
    email = _email()
    body = {"email": email, "role": "admin", "password": password}
    response = client.post(URL, json=body, headers=admin_headers)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "password"
    assert reason in error["detail"]
    assert "items" not in error["detail"]
    assert db.scalar(select(User).where(User.email == email)) is None


def test_a_password_made_of_the_accounts_own_address_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    email = f"zhyldyzbek.toktogulov{uuid.uuid4().hex[:4]}@example.org"
    body = {"email": email, "role": "admin", "password": email.split("@", maxsplit=1)[0]}
    response = client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "password"


def test_a_coordinator_cannot_be_left_without_a_city(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    user = _create(client, admin_headers)
    emptied = client.patch(f"{URL}/{user['id']}", json={"cities": []}, headers=admin_headers)
    assert emptied.status_code == 422
    assert emptied.json()["errors"][0]["field"] == "cities"
    admin = _create(client, admin_headers, role="admin", cities=[])
    demoted = client.patch(f"{URL}/{admin['id']}", json={"role": "viewer"}, headers=admin_headers)
    assert demoted.status_code == 422
    assert demoted.json()["errors"][0]["field"] == "cities"
