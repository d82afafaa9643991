"""Headers every answer carries, and the interactive documentation: local files, its own CSP,
and off where DOCS_ENABLED (or production) says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_api import app as app_module
from birge_api.docs import DOCS_CSP
from birge_shared.settings import get_settings
from tests.factories import make_event, make_invitation, make_participant

BASELINE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'none'",
}


@pytest.mark.parametrize("path", ["/healthz", "/v1/events", "/v1/nowhere", "/openapi.json"])
def test_every_api_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in BASELINE.items():
        assert response.headers.get_list(name) == [value], name


def test_a_refused_oversized_body_carries_them_too(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/events",
        content=b"x" * (get_settings().max_request_bytes + 1),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


def test_the_participant_page_keeps_its_own_fuller_policy(client: TestClient, db: Session) -> None:
    invitation = make_invitation(db, event=make_event(db), participant=make_participant(db))
    db.commit()
    response = client.get(f"/p/{invitation.token}")
    assert response.status_code == 200
    policies = response.headers.get_list("content-security-policy")
    assert len(policies) == 1
    assert "default-src 'none'" in policies[0]
    assert "frame-ancestors 'none'" in policies[0]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]


def test_docs_are_served_from_local_files_under_a_self_only_policy(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers.get_list("content-security-policy") == [DOCS_CSP]
    assert "http" not in page.text  # no CDN, no absolute address of any kind
    assert "<script>" not in page.text  # no inline script for the policy to allow
    for name, media_type in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("init.js", "text/javascript"),
    ):
        asset = client.get(f"/docs/assets/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].startswith(media_type)
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
    assert client.get("/docs/assets/redoc.standalone.js").status_code == 404
    assert client.get("/docs/assets/..%2Fdocs.py").status_code == 404
    assert client.get("/redoc").status_code == 404


@pytest.fixture
def docs_disabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    settings = get_settings().model_copy(update={"docs_enabled": False})
    monkeypatch.setattr(app_module, "get_settings", lambda: settings)
    with TestClient(app_module.create_app(), raise_server_exceptions=False) as client:
        yield client


def test_docs_enabled_false_turns_off_docs_redoc_and_the_schema(
    docs_disabled: TestClient,
) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"):
        response = docs_disabled.get(path)
        assert response.status_code == 404, path
    assert docs_disabled.get("/healthz").status_code == 200
