"""The daily SMS segment budget of a city: a batch over it waits for an administrator."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.budget import local_day
from birge_shared.models import (
    AuditEntry,
    Community,
    Event,
    Invitation,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    OutboxEntry,
    utcnow,
)
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import InvitationsFanOut
from tests.factories import make_event, make_participant

Headers = dict[str, str]


@pytest.fixture
def budget(app: FastAPI) -> Callable[[int], None]:
    """Sets SMS_DAILY_SEGMENT_BUDGET for the requests of this test."""

    def _set(segments: int) -> None:
        settings: Settings = get_settings().model_copy(
            update={"sms_daily_segment_budget": segments}
        )
        app.dependency_overrides[get_settings] = lambda: settings

    return _set


def _people(db: Session, count: int, community: Community) -> list[str]:
    return [str(make_participant(db, community=community).id) for _ in range(count)]


def _invite(client: TestClient, headers: Headers, db: Session, event: Event) -> dict[str, Any]:
    people = _people(db, 2, Community.HOST) + _people(db, 2, Community.MIGRANT)
    response = client.post(
        f"/v1/events/{event.id}/invitations", json={"participant_ids": people}, headers=headers
    )
    assert response.status_code == 202, response.text
    batch: dict[str, Any] = response.json()
    return batch


def _fan_outs(db: Session, batch_id: str) -> int:
    return sum(
        1
        for entry in db.scalars(
            select(OutboxEntry).where(OutboxEntry.task_name == InvitationsFanOut.task_name)
        )
        if entry.payload == {"batch_id": batch_id}
    )


def _approve(client: TestClient, headers: Headers, batch: dict[str, Any]) -> Any:
    return client.post(
        f"/v1/events/{batch['event_id']}/invitations/batches/{batch['id']}/approve",
        headers=headers,
    )


def test_a_batch_within_the_budget_is_queued_and_the_next_one_over_it_is_held(
    client: TestClient, osh_headers: Headers, db: Session, budget: Callable[[int], None]
) -> None:
    first_event, second_event = make_event(db), make_event(db)
    probe = _invite(client, osh_headers, db, first_event)  # no budget yet: sized by it
    assert probe["status"] == "queued"
    # Room for what was released today plus one more such batch, not two.
    budget(2 * probe["estimated_segments"] + probe["estimated_segments"] // 2)

    second = _invite(client, osh_headers, db, second_event)
    third = _invite(client, osh_headers, db, make_event(db))

    assert second["status"] == "queued"
    assert _fan_outs(db, second["id"]) == 1
    assert third["status"] == "awaiting_approval"
    assert _fan_outs(db, third["id"]) == 0


def test_over_the_budget_nothing_is_queued_until_an_administrator_approves_it_once(
    client: TestClient,
    osh_headers: Headers,
    admin_headers: Headers,
    db: Session,
    budget: Callable[[int], None],
) -> None:
    budget(1)
    messages_before = db.scalar(select(func.count()).select_from(Message))
    batch = _invite(client, osh_headers, db, make_event(db))

    assert batch["status"] == "awaiting_approval"
    assert batch["estimated_segments"] >= batch["invited"] > 0
    assert _fan_outs(db, batch["id"]) == 0
    assert db.scalar(select(func.count()).select_from(Message)) == messages_before
    read = client.get(
        f"/v1/events/{batch['event_id']}/invitations/batches/{batch['id']}", headers=osh_headers
    )
    assert read.json()["status"] == "awaiting_approval"

    approved = _approve(client, admin_headers, batch)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "queued"
    assert _fan_outs(db, batch["id"]) == 1

    again = _approve(client, admin_headers, batch)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/batch-not-awaiting-approval")
    assert _fan_outs(db, batch["id"]) == 1
    audit = db.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == batch["id"], AuditEntry.action == "invitations.approve"
        )
    ).one()
    assert audit.details["segments"] == batch["estimated_segments"]


def test_a_coordinator_cannot_approve(
    client: TestClient, osh_headers: Headers, db: Session, budget: Callable[[int], None]
) -> None:
    budget(1)
    batch = _invite(client, osh_headers, db, make_event(db))

    response = _approve(client, osh_headers, batch)

    assert response.status_code == 403
    assert _fan_outs(db, batch["id"]) == 0


def _sms(
    db: Session,
    *,
    purpose: str,
    segments: int | None,
    sent_at: datetime,
    city: str = "osh",
    direction: MessageDirection = MessageDirection.OUTBOUND,
    channel: MessageChannel = MessageChannel.SMS,
    batch_id: str | None = None,
    invitation: Invitation | None = None,
) -> None:
    """An SMS sent at `sent_at` by the workers (or some other message, made to look so)."""
    person_id = invitation.participant_id if invitation else make_participant(db, city=city).id
    db.add(
        Message(
            direction=direction,
            channel=channel,
            purpose=purpose,
            participant_id=person_id,
            invitation_id=invitation.id if invitation else None,
            batch_id=uuid.UUID(batch_id) if batch_id else None,
            status=MessageStatus.DELIVERED,
            segments=segments,
            sent_at=sent_at,
        )
    )
    db.flush()


def test_reminders_and_surveys_sent_today_use_up_the_budget_so_a_batch_is_held(
    client: TestClient, osh_headers: Headers, db: Session, budget: Callable[[int], None]
) -> None:
    now = utcnow()
    midnight, _ = local_day(now, "Asia/Bishkek")  # Osh's day began then
    probe = _invite(client, osh_headers, db, make_event(db))  # no budget yet: sized by it
    size = probe["estimated_segments"]
    invited = db.scalars(
        select(Invitation).where(Invitation.batch_id == uuid.UUID(probe["id"]))
    ).first()
    assert invited is not None
    # What does not belong to Osh's day, each far past what is left of the budget: another
    # city's SMS, yesterday's, SMS already counted with their batch (a refill's, and the
    # probe's own invitation), an inbound text, an e-mail.
    _sms(db, purpose="reminder", segments=50, sent_at=now, city="bishkek")
    _sms(db, purpose="reminder", segments=50, sent_at=midnight - timedelta(seconds=1))
    _sms(db, purpose="invitation", segments=50, sent_at=now, batch_id=probe["id"])
    _sms(db, purpose="invitation", segments=50, sent_at=now, invitation=invited)
    _sms(db, purpose="reply", segments=50, sent_at=now, direction=MessageDirection.INBOUND)
    _sms(db, purpose="reminder", segments=50, sent_at=now, channel=MessageChannel.EMAIL)
    # Room for the probe, the next batch and the third one, with 2 segments to spare.
    budget(3 * size + 2)

    second = _invite(client, osh_headers, db, make_event(db))
    assert second["status"] == "queued"

    # Today's reminder, a survey question (its count not yet reported: 1) and an opt-out
    # reply take 3 segments: the third batch, which would have fitted, no longer does.
    _sms(db, purpose="reminder", segments=1, sent_at=midnight)
    _sms(db, purpose="survey_question", segments=None, sent_at=now)
    _sms(db, purpose="opted_out", segments=1, sent_at=now)
    third = _invite(client, osh_headers, db, make_event(db))

    assert third["status"] == "awaiting_approval"
    assert _fan_outs(db, third["id"]) == 0


def test_administrators_list_every_batch_awaiting_approval_oldest_first(
    client: TestClient,
    osh_headers: Headers,
    admin_headers: Headers,
    db: Session,
    budget: Callable[[int], None],
) -> None:
    budget(1)
    first = _invite(client, osh_headers, db, make_event(db))
    second = _invite(client, osh_headers, db, make_event(db))

    listed = client.get("/v1/invitation-batches/awaiting-approval", headers=admin_headers)
    assert listed.status_code == 200, listed.text
    ids = [batch["id"] for batch in listed.json()]
    assert ids.index(first["id"]) < ids.index(second["id"])
    assert all(batch["status"] == "awaiting_approval" for batch in listed.json())

    assert _approve(client, admin_headers, first).status_code == 200
    after = client.get("/v1/invitation-batches/awaiting-approval", headers=admin_headers)
    assert first["id"] not in [batch["id"] for batch in after.json()]
    assert second["id"] in [batch["id"] for batch in after.json()]
    coordinator = client.get("/v1/invitation-batches/awaiting-approval", headers=osh_headers)
    assert coordinator.status_code == 403
