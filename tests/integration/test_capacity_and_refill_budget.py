"""Capacity and budget are kept: no capacity below the held seats, and a waitlist refill past
the city's daily SMS budget waits for an administrator, like a batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.invitations import Answer, respond
from birge_shared.models import (
    AuditEntry,
    BatchKind,
    BatchStatus,
    Community,
    Event,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageStatus,
    OutboxEntry,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import EventChanged, SmsSend
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.outbound.release import release_due
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.claiming import claim_sms

Headers = dict[str, str]


@pytest.fixture
def sms_budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Sets SMS_DAILY_SEGMENT_BUDGET for the API and the shared rules the workers run."""

    def _set(segments: int) -> None:
        monkeypatch.setenv("SMS_DAILY_SEGMENT_BUDGET", str(segments))
        get_settings.cache_clear()

    yield _set
    get_settings.cache_clear()


def _sms_sends(db: Session) -> list[str]:
    return [
        message_id
        for entry in db.scalars(
            select(OutboxEntry).where(OutboxEntry.task_name == SmsSend.task_name)
        )
        for message_id in entry.payload["message_ids"]
    ]


def test_lowering_capacity_below_the_held_seats_is_a_409_and_changes_nothing(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=4, min_share=0)
    for status in (InvitationStatus.ACCEPTED, InvitationStatus.SENT, InvitationStatus.PLANNED):
        make_invitation(db, event=event, participant=make_participant(db), status=status)
    make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.DECLINED
    )
    db.commit()
    title, sequence = dict(event.title), event.sequence

    response = client.patch(
        f"/v1/events/{event.id}",
        json={"capacity": 2, "title": {"en": "Renamed"}},
        headers=osh_headers,
    )

    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("/capacity-below-held-seats")
    assert body["held"] == 3
    assert "3 seats are held" in body["detail"]
    db.expire_all()
    stored = db.get(Event, event.id)
    assert stored is not None
    assert (stored.capacity, stored.title, stored.sequence) == (4, title, sequence)
    assert stored.change_base is None
    assert not [
        entry
        for entry in db.scalars(
            select(OutboxEntry).where(OutboxEntry.task_name == EventChanged.task_name)
        )
        if entry.payload["event_id"] == str(event.id)
    ]
    assert not db.scalars(
        select(AuditEntry).where(
            AuditEntry.object_id == str(event.id), AuditEntry.action == "event.update"
        )
    ).all()

    # Down to exactly the seats held is fine.
    lowered = client.patch(f"/v1/events/{event.id}", json={"capacity": 3}, headers=osh_headers)
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["capacity"] == 3


def test_a_refill_past_the_budget_waits_for_an_administrators_approval(
    client: TestClient,
    osh_headers: Headers,
    admin_headers: Headers,
    db: Session,
    sms_budget: Callable[[int], None],
) -> None:
    event = make_event(db, capacity=1, min_share=0)
    leaving = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.SENT
    )
    waiting = make_invitation(
        db,
        event=event,
        participant=make_participant(db, community=Community.MIGRANT),
        status=InvitationStatus.WAITLISTED,
    )
    db.commit()
    # One segment a day: a Russian invitation with its link takes more than one.
    sms_budget(1)

    outcome = respond(session=db, invitation_id=leaving.id, answer=Answer.DECLINE)
    db.commit()

    assert outcome.refill is not None
    assert [invitation.id for invitation in outcome.refill.invited] == [waiting.id]
    db.refresh(waiting)
    assert waiting.status is InvitationStatus.PLANNED  # the seat is theirs; the SMS waits
    (message,) = db.scalars(select(Message).where(Message.invitation_id == waiting.id)).all()
    assert message.status is MessageStatus.PLANNED
    batch = db.get(InvitationBatch, message.batch_id)
    assert batch is not None
    assert (batch.kind, batch.status) == (BatchKind.REFILL, BatchStatus.AWAITING_APPROVAL)
    assert batch.segments > 1
    assert str(message.id) not in _sms_sends(db)

    # Nothing sends it meanwhile: not the release of lost messages, not a stray task.
    assert release_due(session=db, now=utcnow() + timedelta(hours=1), chunk_size=50) == 0
    claimed = claim_sms(session=db, message_id=message.id, settings=get_settings(), now=utcnow())
    assert claimed is Outcome.NOT_PLANNED
    db.refresh(message)
    assert message.status is MessageStatus.PLANNED

    # The administrator finds it among the batches waiting, and approves it once.
    url = f"/v1/events/{event.id}/invitations/batches"
    listed = client.get(url, params={"status": "awaiting_approval"}, headers=osh_headers)
    assert listed.status_code == 200, listed.text
    assert [(item["id"], item["kind"]) for item in listed.json()] == [(str(batch.id), "refill")]
    assert client.post(f"{url}/{batch.id}/approve", headers=osh_headers).status_code == 403
    approved = client.post(f"{url}/{batch.id}/approve", headers=admin_headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "queued"
    assert approved.json()["counts"]["planned"] == 1
    assert _sms_sends(db).count(str(message.id)) == 1
    assert client.post(f"{url}/{batch.id}/approve", headers=admin_headers).status_code == 409
    assert _sms_sends(db).count(str(message.id)) == 1


def test_within_the_budget_a_refill_is_sent_at_once_and_counted(
    db: Session, sms_budget: Callable[[int], None]
) -> None:
    sms_budget(1000)
    event = make_event(db, capacity=1, min_share=0)
    leaving = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.SENT
    )
    waiting = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )

    respond(session=db, invitation_id=leaving.id, answer=Answer.DECLINE)

    (message,) = db.scalars(select(Message).where(Message.invitation_id == waiting.id)).all()
    batch = db.get(InvitationBatch, message.batch_id)
    assert batch is not None
    assert batch.status is BatchStatus.QUEUED
    assert batch.released_at is not None
    assert batch.segments > 0  # counted against the day like a coordinator's batch
    assert str(message.id) in _sms_sends(db)
