"""An event's own answer deadline: given, read, refused after the start, moved, removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared.models import Event, InvitationStatus
from tests.factories import make_invitation, make_participant
from tests.integration.test_events import count_events, event_body

Headers = dict[str, str]


def _start(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["starts_at"])


def _problem_fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def test_an_event_carries_its_own_answer_deadline(
    client: TestClient, admin_headers: Headers
) -> None:
    body = event_body()
    answer_by = _start(body) - timedelta(days=3)
    created = client.post(
        "/v1/events", json={**body, "answer_by": answer_by.isoformat()}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["answer_by"]) == answer_by
    # Without one, the server's rule applies and the field reads null.
    plain = client.post("/v1/events", json=event_body(), headers=admin_headers).json()
    assert plain["answer_by"] is None


@pytest.mark.parametrize(
    "offset", [timedelta(0), timedelta(hours=1)], ids=["at-the-start", "after-the-start"]
)
def test_a_deadline_at_or_after_the_start_is_refused(
    client: TestClient, db: Session, admin_headers: Headers, offset: timedelta
) -> None:
    body = event_body()
    before = count_events(db)
    response = client.post(
        "/v1/events",
        json={**body, "answer_by": (_start(body) + offset).isoformat()},
        headers=admin_headers,
    )
    assert "answer_by" in _problem_fields(response)
    assert count_events(db) == before


def test_a_deadline_in_the_past_or_without_a_zone_is_refused(
    client: TestClient, db: Session, admin_headers: Headers
) -> None:
    before = count_events(db)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for answer_by in (past, "2030-01-01T10:00:00"):
        response = client.post(
            "/v1/events", json={**event_body(), "answer_by": answer_by}, headers=admin_headers
        )
        assert "answer_by" in _problem_fields(response)
    assert count_events(db) == before


def test_changing_the_deadline_moves_open_invitations_and_null_removes_it(
    client: TestClient, db: Session, admin_headers: Headers
) -> None:
    body = event_body()
    start = _start(body)
    event_id = client.post("/v1/events", json=body, headers=admin_headers).json()["id"]
    event = db.get(Event, event_id)
    assert event is not None
    waiting_answer = make_invitation(db, event=event, participant=make_participant(db))
    assert waiting_answer.sent_at is not None
    waiting_answer.expires_at = waiting_answer.sent_at + timedelta(hours=48)
    answered = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
    )
    db.commit()
    url = f"/v1/events/{event_id}"

    answer_by = start - timedelta(days=2)
    changed = client.patch(url, json={"answer_by": answer_by.isoformat()}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    assert datetime.fromisoformat(changed.json()["answer_by"]) == answer_by
    db.refresh(waiting_answer)
    db.refresh(answered)
    assert waiting_answer.expires_at == answer_by
    assert answered.expires_at is None

    # Moving the start to before the deadline is refused, naming the start.
    early = start - timedelta(days=3)
    moved = client.patch(
        url,
        json={"starts_at": early.isoformat(), "ends_at": (early + timedelta(hours=2)).isoformat()},
        headers=admin_headers,
    )
    assert "starts_at" in _problem_fields(moved)

    removed = client.patch(url, json={"answer_by": None}, headers=admin_headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["answer_by"] is None
    db.refresh(waiting_answer)
    # Back to the server's rule: 48 hours after sending, a week before the start.
    assert waiting_answer.expires_at == waiting_answer.sent_at + timedelta(hours=48)
    # Other fields still refuse null.
    assert "capacity" in _problem_fields(
        client.patch(url, json={"capacity": None}, headers=admin_headers)
    )
