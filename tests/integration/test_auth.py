from __future__ import annotations

from fastapi.testclient import TestClient

from birge_shared.models import Role
from tests.conftest import TEST_PASSWORD, UserFactory


def test_password_login_returns_a_bearer_token_that_authenticates(
    client: TestClient, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    response = client.post(
        "/v1/auth/token", data={"username": user.email.upper(), "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"]


def test_wrong_password_is_a_401_problem(client: TestClient, make_user: UserFactory) -> None:
    user = make_user(Role.ADMIN)
    response = client.post("/v1/auth/token", data={"username": user.email, "password": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/invalid-credentials")


def test_unknown_account_is_the_same_401(client: TestClient) -> None:
    response = client.post(
        "/v1/auth/token", data={"username": "nobody@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["type"].endswith("/invalid-credentials")


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
