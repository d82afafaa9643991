"""Personal data stays out of plain text: database rows, log lines and broker messages.

A journey through the API (register, change, import, erase, create and cancel an event) is
recorded with every log line captured and every outbox row published to a real Redis broker;
then every table, every log line and every message left in Redis is searched for the
participants' numbers (in every written form), e-mails and names.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from birge_shared.logs import JsonFormatter
from birge_shared.settings import get_settings
from birge_workers.app import create_celery
from birge_workers.relay import relay_outbox
from tests.conftest import redis_database_url
from tests.pii_scan import broker_texts

PROTECTION_REDIS_DB = 4


def _redis_url() -> str:
    return redis_database_url(PROTECTION_REDIS_DB)


def _forms(local: str) -> list[str]:
    """Every way a number could be written: E.164, digits only, local, national digits."""
    digits = "".join(char for char in local if char.isdigit())
    national = digits.lstrip("0")
    return [f"+996{national}", f"996{national}", local, digits, national]


PEOPLE: list[dict[str, Any]] = [
    {
        "name": "Aigerim Sulaimanova",
        "phone": "0555 471 902",
        "email": "aigerim.s@example.org",
        "community": "host",
        "language": "ky",
    },
    {
        "name": "Rustam Karimov",
        "phone": "0700 318 554",
        "email": "rustam.k@example.org",
        "community": "migrant",
        "language": "ru",
    },
]
IMPORTED = {"name": "Priya Nair", "phone": "0770 662 019", "email": "priya.n@example.org"}


def _needles() -> list[str]:
    needles: list[str] = []
    for person in [*PEOPLE, IMPORTED]:
        needles += _forms(person["phone"])
        needles += [person["email"], person["name"]]
    return needles


def _body(person: dict[str, Any]) -> dict[str, Any]:
    return {
        **person,
        "city": "osh",
        "consent": {
            "method": "paper_form",
            "text_version": "2026-01",
            "given_at": "2026-11-20T10:00:00+06:00",
        },
    }


@pytest.fixture
def broker() -> Any:
    client = redis.Redis.from_url(_redis_url())
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_no_personal_data_in_rows_logs_or_broker_messages(
    client: TestClient,
    db: Session,
    admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    broker: redis.Redis,
) -> None:
    caplog.set_level(logging.DEBUG)

    ids = []
    for person in PEOPLE:
        created = client.post("/v1/participants", json=_body(person), headers=admin_headers)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    changed = client.patch(
        f"/v1/participants/{ids[0]}",
        json={"email": "aigerim.s@example.org"},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    # A duplicate and an invalid number: the error paths must not echo the number either.
    duplicate = client.post("/v1/participants", json=_body(PEOPLE[0]), headers=admin_headers)
    assert duplicate.status_code == 409
    assert PEOPLE[0]["phone"] not in duplicate.text
    csv = (
        "name,phone,email,language,city,community,consent_method,consent_text_version,"
        "consent_given_at\n"
        f"{IMPORTED['name']},{IMPORTED['phone']},{IMPORTED['email']},en,osh,migrant,"
        "paper_form,2026-01,2026-11-20T10:00:00+06:00\n"
    )
    imported = client.post(
        "/v1/participants/import",
        files={"file": ("people.csv", csv.encode(), "text/csv")},
        headers=admin_headers,
    )
    assert imported.status_code == 200, imported.text
    erased = client.delete(f"/v1/participants/{ids[1]}", headers=admin_headers)
    assert erased.status_code == 204

    start = datetime.now(UTC) + timedelta(days=5)
    event = client.post(
        "/v1/events",
        json={
            "city": "osh",
            "title": {"en": "Picnic"},
            "activity_type": "cooking",
            "venue": {"name": "Park", "address": "Kurmanjan Datka 1"},
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 10,
        },
        headers=admin_headers,
    ).json()
    assert client.post(f"/v1/events/{event['id']}/cancel", headers=admin_headers).status_code == 200
    db.flush()

    # Publish what the outbox holds to a real Redis broker, as the relay does.
    settings = get_settings().model_copy(update={"broker_url": _redis_url()})
    celery = create_celery(settings)
    try:

        def publish(name: str, payload: dict[str, Any]) -> None:
            celery.send_task(name, kwargs=payload, queue=f"protection-{uuid.uuid4().hex}")

        assert relay_outbox(session=db, publish=publish, limit=1000) >= 1
    finally:
        celery.close()

    haystacks: dict[str, str] = {}
    tables = db.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ).scalars()
    for table in tables:
        rows = db.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')).scalars().all()  # noqa: S608 - table names come from the catalogue
        haystacks[f"table {table}"] = "\n".join(rows)
    formatter = JsonFormatter()
    haystacks["logs"] = "\n".join(formatter.format(record) for record in caplog.records)
    haystacks["broker"] = "\n".join(broker_texts(broker))

    assert haystacks["logs"], "the journey should have logged something"
    assert "events.cancelled" in haystacks["broker"], "the broker should hold the published task"
    assert event["id"] in haystacks["broker"], "task arguments are searched, not only headers"
    leaks = [
        (where, needle)
        for where, haystack in haystacks.items()
        for needle in _needles()
        if needle in haystack
    ]
    assert leaks == []
