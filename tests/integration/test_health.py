from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from birge_api import health
from birge_shared.settings import Settings, get_settings


def test_readyz_is_ready_with_postgres_and_redis(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_is_503_when_the_broker_is_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    broken = get_settings().model_copy(update={"broker_url": "redis://127.0.0.1:9/0"})
    monkeypatch.setattr(health, "get_settings", lambda: broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unreachable"}


def test_readyz_checks_the_filesystem_broker_folder(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    embedded = Settings(broker_url="filesystem://", broker_folder=tmp_path, _env_file=None)
    monkeypatch.setattr(health, "get_settings", lambda: embedded)
    assert client.get("/readyz").status_code == 200
