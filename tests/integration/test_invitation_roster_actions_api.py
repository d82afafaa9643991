"""What a coordinator does to a roster through the API: withdraw an invitation (its seat goes to
the waitlist), move a waiting person up (only into a free seat inside the mix band), read the
waitlist in order and the live counts, and message the confirmed people once per key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.budget import released_today
from birge_shared.crypto import get_cipher
from birge_shared.free_text import EVENT_MESSAGE
from birge_shared.models import (
    AuditEntry,
    BatchKind,
    BatchStatus,
    City,
    Community,
    Event,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageStatus,
    OutboxEntry,
    utcnow,
)
from birge_shared.settings import Settings, get_settings
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]


def _url(event: Event, suffix: str) -> str:
    return f"/v1/events/{event.id}/invitations{suffix}"


@pytest.fixture
def budget(app: FastAPI) -> Callable[[int], None]:
    def _set(segments: int) -> None:
        settings: Settings = get_settings().model_copy(
            update={"sms_daily_segment_budget": segments}
        )
        app.dependency_overrides[get_settings] = lambda: settings

    return _set


def test_withdrawing_an_accepted_seat_refills_it_from_the_waitlist(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0)
    leaving = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
    )
    make_invitation(db, event=event, participant=make_participant(db))
    waiting = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    db.commit()

    response = client.post(
        _url(event, f"/{leaving.id}/withdraw"),
        json={"reason": "moved to another city"},
        headers=osh_headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    db.expire_all()
    assert leaving.status is InvitationStatus.WITHDRAWN
    assert leaving.closed_reason == "withdrawn by a coordinator: moved to another city"
    assert waiting.status is InvitationStatus.PLANNED
    refill = db.scalar(select(InvitationBatch).where(InvitationBatch.event_id == event.id))
    assert refill is not None
    assert refill.invited == 1
    again = client.post(_url(event, f"/{leaving.id}/withdraw"), json={}, headers=osh_headers)
    assert again.status_code == 409


def test_withdrawing_skips_the_planned_invitation_sms(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0)
    planned = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.PLANNED
    )
    message = Message(
        direction="outbound",
        channel="sms",
        purpose="invitation",
        invitation_id=planned.id,
        participant_id=planned.participant_id,
        status=MessageStatus.PLANNED,
    )
    db.add(message)
    db.commit()

    response = client.post(_url(event, f"/{planned.id}/withdraw"), json={}, headers=osh_headers)

    assert response.status_code == 200, response.text
    db.expire_all()
    assert message.status is MessageStatus.SKIPPED
    assert response.json()["delivery"]["status"] == "skipped"


def test_move_up_respects_the_band_and_the_seats(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=3, min_share=0.5)
    make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
    )
    another_host = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    migrant = make_invitation(
        db,
        event=event,
        participant=make_participant(db, community=Community.MIGRANT),
        status=InvitationStatus.WAITLISTED,
    )
    db.commit()

    refused = client.post(_url(event, f"/{another_host.id}/move-up"), headers=osh_headers)
    assert refused.status_code == 409
    assert "outside the band" in refused.json()["detail"]

    moved = client.post(_url(event, f"/{migrant.id}/move-up"), headers=osh_headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "planned"
    db.expire_all()
    assert migrant.status is InvitationStatus.PLANNED
    assert another_host.status is InvitationStatus.WAITLISTED
    sms = db.scalar(select(Message).where(Message.invitation_id == migrant.id))
    assert sms is not None
    assert sms.purpose == "invitation"

    not_waiting = client.post(_url(event, f"/{migrant.id}/move-up"), headers=osh_headers)
    assert not_waiting.status_code == 409


def test_move_up_into_a_full_event_is_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=1, min_share=0)
    make_invitation(db, event=event, participant=make_participant(db))
    waiting = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    db.commit()
    response = client.post(_url(event, f"/{waiting.id}/move-up"), headers=osh_headers)
    assert response.status_code == 409
    assert "every seat is held" in response.json()["detail"]


def test_the_waitlist_comes_in_priority_order(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=5, min_share=0)
    often = make_participant(db, name="Often invited")
    for _ in range(2):
        make_invitation(db, event=make_event(db), participant=often)
    first = make_invitation(db, event=event, participant=often, status=InvitationStatus.WAITLISTED)
    never = make_invitation(
        db,
        event=event,
        participant=make_participant(db, name="Never invited"),
        status=InvitationStatus.WAITLISTED,
    )
    db.commit()

    response = client.get(_url(event, "/waitlist"), headers=osh_headers)

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == [str(never.id), str(first.id)]
    assert response.json()[0]["name"] == "Never invited"


def test_counts_per_community_for_every_role_but_not_other_cities(
    client: TestClient,
    osh_headers: Headers,
    viewer_headers: Headers,
    bishkek_headers: Headers,
    db: Session,
) -> None:
    event = make_event(db, capacity=4, min_share=0.3)
    for status in (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED):
        make_invitation(db, event=event, participant=make_participant(db), status=status)
    make_invitation(
        db,
        event=event,
        participant=make_participant(db, community=Community.MIGRANT),
        status=InvitationStatus.ACCEPTED,
    )
    make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.DECLINED
    )
    db.commit()

    response = client.get(_url(event, "/counts"), headers=viewer_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    host = body["communities"][0]
    assert host == {
        "community": "host",
        "awaiting": 0,
        "confirmed": 2,
        "checked_in": 1,
        "declined": 1,
        "waitlisted": 0,
    }
    assert body["confirmed"] == 3
    assert body["in_band"] is True
    assert body["host_share"] == pytest.approx(2 / 3)
    assert client.get(_url(event, "/counts"), headers=osh_headers).status_code == 200
    assert client.get(_url(event, "/counts"), headers=bishkek_headers).status_code == 404
    assert client.get(_url(event, "/waitlist"), headers=viewer_headers).status_code == 403


def test_viewers_and_other_cities_cannot_change_a_roster(
    client: TestClient, viewer_headers: Headers, bishkek_headers: Headers, db: Session
) -> None:
    event = make_event(db)
    invitation = make_invitation(db, event=event, participant=make_participant(db))
    db.commit()
    for headers, status in ((viewer_headers, 403), (bishkek_headers, 404)):
        url = _url(event, f"/{invitation.id}/withdraw")
        assert client.post(url, json={}, headers=headers).status_code == status
        url = _url(event, f"/{invitation.id}/move-up")
        assert client.post(url, headers=headers).status_code == status
        url = _url(event, "/message")
        assert client.post(url, json={"text": "Hi"}, headers=headers).status_code == status
    db.expire_all()
    assert invitation.status is InvitationStatus.SENT


def test_a_message_to_the_confirmed_goes_once_per_key_through_the_outbox(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    confirmed = [
        make_invitation(
            db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
        )
        for _ in range(2)
    ]
    make_invitation(db, event=event, participant=make_participant(db))  # not answered yet
    opted_out = make_participant(db)
    opted_out.opted_out_at = datetime.now(UTC)
    make_invitation(db, event=event, participant=opted_out, status=InvitationStatus.ACCEPTED)
    db.commit()
    text = "Room 204 tonight, not 105."

    estimate = client.post(
        _url(event, "/message/preview"), json={"text": text}, headers=osh_headers
    )
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["recipients"] == 2
    assert estimate.json()["segments"] == 2
    assert estimate.json()["encoding"] == "GSM-7"

    headers = {**osh_headers, "Idempotency-Key": "message-1"}
    first = client.post(_url(event, "/message"), json={"text": text}, headers=headers)
    second = client.post(_url(event, "/message"), json={"text": text}, headers=headers)

    assert first.status_code == 202, first.text
    assert first.json()["planned"] == 2
    assert second.status_code == 202
    assert second.json()["planned"] == 0
    messages = list(db.scalars(select(Message).where(Message.purpose == EVENT_MESSAGE)))
    assert {message.invitation_id for message in messages} == {i.id for i in confirmed}
    assert all(
        m.body_encrypted and get_cipher().decrypt(m.body_encrypted) == text for m in messages
    )
    sends = list(db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send")))
    assert len(sends) == 1
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "event.message_confirmed"))
    assert entry is not None
    assert text not in str(entry.details)


def _with_confirmed(db: Session, people: int) -> Event:
    event = make_event(db, min_share=0)
    for _ in range(people):
        make_invitation(
            db, event=event, participant=make_participant(db), status=InvitationStatus.ACCEPTED
        )
    db.commit()
    return event


def test_a_message_past_the_budget_waits_for_an_administrator_and_an_empty_one_is_refused(
    client: TestClient,
    osh_headers: Headers,
    admin_headers: Headers,
    db: Session,
    budget: Callable[[int], None],
) -> None:
    event = _with_confirmed(db, 3)
    budget(2)

    blank = client.post(_url(event, "/message"), json={"text": "   "}, headers=osh_headers)
    assert blank.status_code == 422
    assert db.scalar(select(Message).where(Message.purpose == EVENT_MESSAGE)) is None

    over = client.post(
        _url(event, "/message"),
        json={"text": "Hello"},
        headers={**osh_headers, "Idempotency-Key": "room-204"},
    )
    assert over.status_code == 202, over.text
    assert over.json()["held"] is True
    assert over.json()["planned"] == 3
    batch_id = over.json()["batch_id"]
    batch = db.get(InvitationBatch, uuid.UUID(batch_id))
    assert batch is not None
    assert (batch.kind, batch.status, batch.segments) == (
        BatchKind.MESSAGE,
        BatchStatus.AWAITING_APPROVAL,
        3,
    )
    messages = list(db.scalars(select(Message).where(Message.purpose == EVENT_MESSAGE)))
    assert {message.batch_id for message in messages} == {batch.id}
    assert not _sms_sends(db)

    # The same request again plans nothing more.
    again = client.post(
        _url(event, "/message"),
        json={"text": "Hello"},
        headers={**osh_headers, "Idempotency-Key": "room-204"},
    )
    assert again.json()["planned"] == 0
    assert (again.json()["batch_id"], again.json()["held"]) == (batch_id, True)

    # Among what waits for an administrator, who approves it once; a coordinator cannot.
    waiting = client.get("/v1/invitation-batches/awaiting-approval", headers=admin_headers)
    assert [(item["id"], item["kind"]) for item in waiting.json()] == [(batch_id, "message")]
    approve = _url(event, f"/batches/{batch_id}/approve")
    assert client.post(approve, headers=osh_headers).status_code == 403
    approved = client.post(approve, headers=admin_headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "queued"
    assert approved.json()["counts"]["planned"] == 3
    assert sorted(_sms_sends(db)) == sorted(str(message.id) for message in messages)
    assert client.post(approve, headers=admin_headers).status_code == 409


def test_a_message_within_the_budget_is_a_released_batch_counted_once(
    client: TestClient, osh_headers: Headers, db: Session, budget: Callable[[int], None]
) -> None:
    event = _with_confirmed(db, 2)
    budget(100)

    sent = client.post(_url(event, "/message"), json={"text": "Hello"}, headers=osh_headers)

    assert sent.status_code == 202, sent.text
    assert sent.json()["held"] is False
    batch = db.get(InvitationBatch, uuid.UUID(sent.json()["batch_id"]))
    assert batch is not None
    assert (batch.kind, batch.status, batch.segments) == (BatchKind.MESSAGE, BatchStatus.QUEUED, 2)
    assert batch.released_at is not None
    assert len(_sms_sends(db)) == 2
    # Counted with its batch, not again as single messages once they are sent.
    for message in db.scalars(select(Message).where(Message.purpose == EVENT_MESSAGE)):
        message.sent_at = utcnow()
    db.flush()
    city = db.get(City, event.city_code)
    assert city is not None
    assert released_today(session=db, city=city, now=utcnow()) == 2


def _sms_sends(db: Session) -> list[str]:
    """The message ids the outbox holds `sms.send` tasks for."""
    db.expire_all()
    return [
        message_id
        for entry in db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send"))
        for message_id in entry.payload["message_ids"]
    ]


def test_a_started_event_roster_no_longer_changes(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, starts_in=timedelta(days=7))
    invitation = make_invitation(db, event=event, participant=make_participant(db))
    event.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    db.commit()
    response = client.post(_url(event, f"/{invitation.id}/withdraw"), json={}, headers=osh_headers)
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Invitation, invitation.id).status is InvitationStatus.SENT  # type: ignore[union-attr]
