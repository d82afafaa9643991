"""What a coordinator reads of an event's invitations: who, how their SMS went, filtered by
status; and batches that reach `done` once nothing of them is left to send."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import (
    Community,
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessagePurpose,
    MessageStatus,
    utcnow,
)
from birge_shared.outbound.plan import plan_one
from birge_workers.sending.fanout import plan_chunk
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]
PHONE = "+996555123456"


def _url(event: Event, suffix: str = "") -> str:
    return f"/v1/events/{event.id}/invitations{suffix}"


def _message(db: Session, invitation: Invitation, status: MessageStatus, **values: Any) -> None:
    message_id = plan_one(
        session=db,
        purpose=MessagePurpose.INVITATION,
        participant_id=invitation.participant_id,
        invitation_id=invitation.id,
    )
    message = db.get(Message, message_id)
    assert message is not None
    message.status = status
    for name, value in values.items():
        setattr(message, name, value)
    db.flush()


def test_coordinators_see_names_masked_phones_and_delivery_viewers_nothing(
    client: TestClient, osh_headers: Headers, viewer_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    aida = make_participant(db, name="Аида Садыкова", phone=PHONE)
    failed = make_invitation(db, event=event, participant=aida, status=InvitationStatus.FAILED)
    _message(
        db,
        failed,
        MessageStatus.UNDELIVERED,
        error_code="30003",
        error_reason="the handset is unreachable",
    )
    delivered = make_invitation(db, event=event, participant=make_participant(db, name="Bakyt"))
    _message(db, delivered, MessageStatus.DELIVERED)
    waiting = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    db.commit()

    response = client.get(_url(event), headers=osh_headers)

    assert response.status_code == 200, response.text
    items = {item["id"]: item for item in response.json()["items"]}
    first = items[str(failed.id)]
    assert first["name"] == "Аида Садыкова"
    assert first["phone_masked"] == "+996 555 *** 456"
    assert first["delivery"]["status"] == "undelivered"
    assert first["delivery"]["reason"] == "the handset is unreachable"
    assert first["delivery"]["error_code"] == "30003"
    assert first["walk_in"] is False
    assert items[str(delivered.id)]["name"] == "Bakyt"
    assert items[str(delivered.id)]["delivery"]["status"] == "delivered"
    assert items[str(waiting.id)]["delivery"] is None
    assert PHONE not in response.text

    for_viewer = client.get(_url(event), headers=viewer_headers)
    assert for_viewer.status_code == 403
    assert "Аида" not in for_viewer.text
    assert "555" not in for_viewer.text


def test_the_status_filter_takes_repeats_and_comma_lists_and_refuses_unknown_values(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    by_status = {
        status: make_invitation(db, event=event, participant=make_participant(db), status=status)
        for status in (
            InvitationStatus.SENT,
            InvitationStatus.ACCEPTED,
            InvitationStatus.DECLINED,
            InvitationStatus.WAITLISTED,
        )
    }
    db.commit()

    def statuses(params: Any) -> set[str]:
        response = client.get(_url(event), params=params, headers=osh_headers)
        assert response.status_code == 200, response.text
        return {item["status"] for item in response.json()["items"]}

    assert statuses({"status": "accepted"}) == {"accepted"}
    assert statuses({"status": "accepted,declined"}) == {"accepted", "declined"}
    assert statuses([("status", "sent"), ("status", "WAITLISTED, declined")]) == {
        "sent",
        "waitlisted",
        "declined",
    }
    assert statuses({}) == {status.value for status in by_status}

    refused = client.get(_url(event), params={"status": "sent,maybe"}, headers=osh_headers)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"].endswith("/validation-error")
    assert problem["errors"][0]["field"] == "status"
    assert "maybe" in problem["errors"][0]["detail"]


def _batch(client: TestClient, headers: Headers, event: Event, people: list[str]) -> str:
    response = client.post(_url(event), json={"participant_ids": people}, headers=headers)
    assert response.status_code == 202, response.text
    batch_id: str = response.json()["id"]
    return batch_id


def _status(client: TestClient, headers: Headers, event: Event, batch_id: str) -> str:
    response = client.get(_url(event, f"/batches/{batch_id}"), headers=headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_a_batch_is_done_once_nothing_of_it_is_left_to_send(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=2, min_share=0)
    people = [str(make_participant(db, community=Community.HOST).id) for _ in range(3)]
    batch_id = _batch(client, osh_headers, event, people)
    assert _status(client, osh_headers, event, batch_id) == "queued"

    taken, planned = plan_chunk(session=db, batch_id=uuid.UUID(batch_id), chunk_size=50)
    assert (taken, planned) == (2, 2)
    assert _status(client, osh_headers, event, batch_id) == "queued"

    first, second = db.scalars(
        select(Message)
        .join(Invitation, Message.invitation_id == Invitation.id)
        .where(Invitation.batch_id == uuid.UUID(batch_id))
        .order_by(Message.id)
    ).all()
    first.status = MessageStatus.DELIVERED
    db.commit()
    assert _status(client, osh_headers, event, batch_id) == "queued"  # one still to go

    # The other was no longer wanted when its turn came (the person opted out meanwhile).
    second.status = MessageStatus.SKIPPED
    second.updated_at = utcnow()
    db.commit()
    # The third waits on the waitlist: nothing of the batch is left to send.
    assert _status(client, osh_headers, event, batch_id) == "done"


def test_a_batch_of_waitlist_places_only_is_done_at_once(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=1, min_share=0)
    make_invitation(db, event=event, participant=make_participant(db))
    db.commit()
    batch_id = _batch(client, osh_headers, event, [str(make_participant(db).id)])

    assert _status(client, osh_headers, event, batch_id) == "done"
