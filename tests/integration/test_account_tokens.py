"""Access tokens that can be revoked, who is signed in, and changing one's own password.

The attack: an account is disabled (or loses a role or a city) but a token issued before keeps
working until it expires, eight hours later; re-enabling the account brings it back to life.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.auth.throttle import PAIR_LIMITS, LoginThrottle, get_login_throttle
from birge_shared.models import AuditEntry, Role, utcnow
from birge_shared.passwords import verify_password
from birge_shared.settings import get_settings
from tests.conftest import TEST_PASSWORD, UserFactory, bearer

NEW_PASSWORD = "a river crossing at dawn"


def _patch(client: TestClient, headers: dict[str, str], user_id: Any, **body: Any) -> None:
    response = client.patch(f"/v1/users/{user_id}", json=body, headers=headers)
    assert response.status_code == 200, response.text


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/v1/users/me", headers=headers).status_code


def _token_login(client: TestClient, email: str, password: str) -> dict[str, str]:
    response = client.post("/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_me_tells_who_is_signed_in(client: TestClient, make_user: UserFactory) -> None:
    viewer = make_user(Role.VIEWER, ("osh",))
    response = client.get("/v1/users/me", headers=bearer(viewer))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(viewer.id)
    assert body["role"] == "viewer"
    assert body["cities"] == ["osh"]
    assert "password" not in response.text
    assert client.get("/v1/users/me").status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"role": "viewer"},
        {"cities": ["bishkek"]},
    ],
)
def test_a_change_of_access_revokes_earlier_tokens(
    client: TestClient,
    admin_headers: dict[str, str],
    make_user: UserFactory,
    change: dict[str, Any],
) -> None:
    staff = make_user(Role.COORDINATOR, ("osh",))
    old = bearer(staff)
    assert _me(client, old) == 200

    _patch(client, admin_headers, staff.id, **change)

    response = client.get("/v1/users/me", headers=old)
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthorized")
    if change != {"is_active": False}:
        # A new login gets a token that works, with the new access.
        assert _me(client, _token_login(client, staff.email, TEST_PASSWORD)) == 200


def test_re_enabling_an_account_does_not_bring_old_tokens_back(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    staff = make_user(Role.COORDINATOR, ("osh",))
    old = _token_login(client, staff.email, TEST_PASSWORD)

    _patch(client, admin_headers, staff.id, is_active=False)
    _patch(client, admin_headers, staff.id, is_active=True)

    assert _me(client, old) == 401
    assert _me(client, _token_login(client, staff.email, TEST_PASSWORD)) == 200


def test_a_change_that_changes_nothing_keeps_tokens(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    staff = make_user(Role.COORDINATOR, ("osh",))
    old = bearer(staff)
    _patch(client, admin_headers, staff.id, role="coordinator", cities=["osh"])
    assert _me(client, old) == 200


def test_a_token_without_a_version_is_refused(client: TestClient, make_user: UserFactory) -> None:
    user = make_user(Role.ADMIN)
    now = utcnow()
    claims = {"sub": str(user.id), "aud": "birge-api", "iat": now, "exp": now + timedelta(hours=1)}
    forged = jwt.encode(claims, get_settings().secret_key.get_secret_value(), algorithm="HS256")
    assert _me(client, {"Authorization": f"Bearer {forged}"}) == 401


def _change(
    client: TestClient, headers: dict[str, str], current: str, new: str
) -> Any:  # the httpx response
    return client.post(
        "/v1/auth/password",
        json={"current_password": current, "new_password": new},
        headers=headers,
    )


def test_changing_ones_password_revokes_every_earlier_token(
    client: TestClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.COORDINATOR, ("bishkek",))
    elsewhere = _token_login(client, user.email, TEST_PASSWORD)
    here = _token_login(client, user.email, TEST_PASSWORD)

    response = _change(client, here, TEST_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 200, response.text
    fresh = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert _me(client, fresh) == 200
    assert _me(client, here) == 401
    assert _me(client, elsewhere) == 401
    db.refresh(user)
    assert verify_password(NEW_PASSWORD, user.password_hash)
    refused = client.post(
        "/v1/auth/token", data={"username": user.email, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 401
    assert _me(client, _token_login(client, user.email, NEW_PASSWORD)) == 200
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "password.change", AuditEntry.object_id == str(user.id)
        )
    )
    assert entry is not None
    assert NEW_PASSWORD not in repr(entry.details)


def test_a_wrong_current_password_is_refused_audited_and_throttled(
    app: FastAPI, make_user: UserFactory, db: Session
) -> None:
    throttle = LoginThrottle(storage=MemoryStorage(), settings=get_settings())
    app.dependency_overrides[get_login_throttle] = lambda: throttle
    user = make_user(Role.ADMIN)
    headers = bearer(user)
    with TestClient(app, client=("203.0.113.20", 4000)) as client:
        for _ in range(PAIR_LIMITS[0].amount):
            wrong = _change(client, headers, "not my password", NEW_PASSWORD)
            assert wrong.status_code == 403
            assert wrong.json()["type"].endswith("/wrong-password")
            assert wrong.json()["errors"][0]["field"] == "current_password"
        # A stolen token is no way around the login limits.
        assert _change(client, headers, TEST_PASSWORD, NEW_PASSWORD).status_code == 429
    db.refresh(user)
    assert verify_password(TEST_PASSWORD, user.password_hash)
    failures = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "password.change_failed", AuditEntry.object_id == str(user.id)
        )
    ).all()
    assert len(failures) == PAIR_LIMITS[0].amount


@pytest.mark.parametrize("new", [" " * 10, "aaaaaaaaaa", "1234567890", "short"])
def test_a_trivial_new_password_is_refused(
    client: TestClient, make_user: UserFactory, db: Session, new: str
) -> None:
    user = make_user(Role.ADMIN)
    headers = bearer(user)
    response = _change(client, headers, TEST_PASSWORD, new)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "new_password"
    assert _me(client, headers) == 200  # nothing changed, the token still works
    db.refresh(user)
    assert verify_password(TEST_PASSWORD, user.password_hash)


def test_the_new_password_may_not_be_the_accounts_address(
    client: TestClient, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    response = _change(client, bearer(user), TEST_PASSWORD, user.email)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "new_password"


def test_changing_a_password_needs_a_token(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/password", json={"current_password": "x" * 12, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401
