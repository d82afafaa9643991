"""/metrics: request latency by route template, and the message pipeline read at scrape time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from birge_api.deps import get_session
from birge_shared.models import (
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    OutboxEntry,
    Role,
    utcnow,
)
from birge_shared.settings import get_settings
from tests.conftest import TEST_PASSWORD, UserFactory
from tests.factories import unique_phone

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(client: TestClient) -> tuple[str, Samples]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.text, samples


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _message(status: MessageStatus, error_code: str | None = None) -> Message:
    return Message(
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.SMS,
        purpose="invitation",
        status=status,
        error_code=error_code,
    )


def _local(e164: str) -> str:
    return "0" + e164.removeprefix("+996")


def test_metrics_expose_latency_by_route_template_and_no_personal_data(
    client: TestClient, admin_headers: dict[str, str], make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    phone = unique_phone()
    token = "personal-link-token-" + uuid.uuid4().hex
    unknown_event = str(uuid.uuid4())
    login = client.post("/v1/auth/token", data={"username": user.email, "password": TEST_PASSWORD})
    assert login.status_code == 200
    created = client.post(
        "/v1/participants",
        json={
            "name": "Gulnara Asanova",
            "phone": _local(phone),
            "language": "ru",
            "city": "osh",
            "consent": {
                "method": "verbal",
                "text_version": "2026-01",
                "given_at": "2026-11-20T10:00:00+06:00",
            },
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    participant_id = created.json()["id"]
    assert client.get(f"/v1/participants/{participant_id}", headers=admin_headers).is_success
    assert client.get(f"/v1/events/{unknown_event}", headers=admin_headers).status_code == 404
    client.get(f"/p/{token}")
    assert client.get(f"/no/such/{token}").status_code == 404

    text, samples = _scrape(client)

    count = "birge_http_request_duration_seconds_count"
    route = "/v1/participants/{participant_id}"
    assert (_value(samples, count, method="GET", route=route, status="200") or 0) >= 1
    login_route = "/v1/auth/token"
    assert (_value(samples, count, method="POST", route=login_route, status="200") or 0) >= 1
    unknown = _value(samples, count, method="GET", route="/v1/events/{event_id}", status="404")
    assert (unknown or 0) >= 1
    assert (_value(samples, count, method="GET", route="unmatched", status="404") or 0) >= 1
    for secret in (
        user.email,
        phone,
        _local(phone),
        phone[4:],
        token,
        participant_id,
        unknown_event,
        login.json()["access_token"],
        "Gulnara",
    ):
        assert secret not in text


def test_metrics_read_the_message_pipeline_from_the_database(
    client: TestClient, db: Session
) -> None:
    db.add_all(
        [
            _message(MessageStatus.DELIVERED),
            _message(MessageStatus.FAILED, error_code="30003"),
            _message(MessageStatus.UNDELIVERED, error_code="30003"),
            _message(MessageStatus.FAILED, error_code="21610"),
        ]
    )
    db.add(
        OutboxEntry(
            task_name="invitations.fan_out",
            payload={},
            created_at=utcnow() - timedelta(minutes=10),
        )
    )
    db.commit()

    _, samples = _scrape(client)

    assert (_value(samples, "birge_messages", channel="sms", status="failed") or 0) >= 2
    assert (_value(samples, "birge_messages", channel="sms", status="delivered") or 0) >= 1
    assert (_value(samples, "birge_provider_errors", code="30003") or 0) >= 2
    assert (_value(samples, "birge_provider_errors", code="21610") or 0) >= 1
    assert (_value(samples, "birge_outbox_unpublished") or 0) >= 1
    assert (_value(samples, "birge_outbox_oldest_unpublished_age_seconds") or 0) >= 600
    assert _value(samples, "birge_database_up") == 1
    # The test broker is Redis: its queue is read with LLEN.
    assert _value(samples, "birge_broker_up") == 1
    assert (_value(samples, "birge_broker_queue_depth", queue="celery") or 0) >= 0


def _with_settings(app: FastAPI, **changes: object) -> None:
    settings = get_settings().model_copy(update=changes)
    app.dependency_overrides[get_settings] = lambda: settings


def test_an_unreachable_broker_does_not_fail_the_scrape(app: FastAPI, client: TestClient) -> None:
    _with_settings(app, broker_url="redis://127.0.0.1:1/0")

    _, samples = _scrape(client)

    assert _value(samples, "birge_broker_up") == 0
    assert not any(name == "birge_broker_queue_depth" for name, _ in samples)
    assert _value(samples, "birge_database_up") == 1


def test_the_embedded_broker_queue_is_its_folder(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    _with_settings(app, broker_url="filesystem://", broker_folder=tmp_path)
    queue = tmp_path / "queue"
    queue.mkdir()
    for number in range(3):
        (queue / f"{number}_{uuid.uuid4()}.celery.msg").write_bytes(b"{}")
    (queue / "0_other.other-queue.msg").write_bytes(b"{}")

    _, samples = _scrape(client)

    assert _value(samples, "birge_broker_up") == 1
    assert _value(samples, "birge_broker_queue_depth", queue="celery") == 3


def test_metrics_stay_out_of_the_api_document(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_an_unreachable_database_does_not_fail_the_scrape(app: FastAPI) -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")

    def _unreachable() -> Iterator[Session]:
        with Session(engine) as session:
            yield session
            session.commit()

    app.dependency_overrides[get_session] = _unreachable
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            _, samples = _scrape(client)
    finally:
        engine.dispose()

    assert _value(samples, "birge_database_up") == 0
    assert not any(name == "birge_messages" for name, _ in samples)
    assert _value(samples, "birge_broker_up") == 1
