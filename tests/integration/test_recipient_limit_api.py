"""The recipients-per-request limit, through the API: a 422 and nothing created or queued."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import Invitation, InvitationBatch, OutboxEntry
from birge_shared.settings import get_settings
from tests.factories import make_event


def _count(db: Session, model: type[object]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_more_recipients_than_the_limit_is_refused_and_nothing_is_sent(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    event = make_event(db)
    db.commit()
    before = [_count(db, model) for model in (InvitationBatch, Invitation, OutboxEntry)]
    too_many = [str(uuid.uuid4()) for _ in range(get_settings().max_recipients_per_request + 1)]
    for path in ("/invitations/preview", "/invitations"):
        response = client.post(
            f"/v1/events/{event.id}{path}",
            json={"participant_ids": too_many},
            headers=admin_headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "participant_ids"
    after = [_count(db, model) for model in (InvitationBatch, Invitation, OutboxEntry)]
    assert after == before
