"""A coordinator chooses a batch's channels; the roster and the event show each channel's
delivery."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.invitations import refill
from birge_shared.models import (
    BatchKind,
    Event,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageStatus,
)
from birge_workers.sending.fanout import plan_chunk
from tests.factories import channel_message, make_event, make_invitation, make_participant

Headers = dict[str, str]


def _url(event: Event, suffix: str = "") -> str:
    return f"/v1/events/{event.id}/invitations{suffix}"


def _problem(response: Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(error["field"].startswith(field) for error in response.json()["errors"])


def _batches(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(InvitationBatch)) or 0


def test_a_choice_without_a_messenger_or_with_an_unknown_channel_is_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0.0)
    people = [str(make_participant(db, email="a@example.org").id)]
    db.commit()
    before = _batches(db)
    for channels in (["email"], ["fax", "sms"], [], ["SMS"]):
        body: dict[str, Any] = {"participant_ids": people, "channels": channels}
        _problem(client.post(_url(event), json=body, headers=osh_headers), "channels")
        _problem(client.post(_url(event, "/preview"), json=body, headers=osh_headers), "channels")
    assert _batches(db) == before


def test_the_chosen_channels_are_kept_and_the_fan_out_plans_on_them(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0.0)
    person = make_participant(db, email="someone@example.org")
    db.commit()
    body = {"channels": ["email", "sms"]}
    sms_only = {"participant_ids": [str(person.id)], "channels": ["sms"]}

    sent = client.post(_url(event), json=sms_only, headers=osh_headers)

    assert sent.status_code == 202, sent.text
    assert sent.json()["channels"] == ["sms"]
    batch = db.get_one(InvitationBatch, uuid.UUID(sent.json()["id"]))
    assert batch.channels == ["sms"]
    plan_chunk(session=db, batch_id=batch.id, chunk_size=10)
    planned = db.scalars(
        select(Message.channel).join(Invitation).where(Invitation.batch_id == batch.id)
    ).all()
    # The person has an e-mail address, but the coordinator chose SMS alone.
    assert planned == [MessageChannel.SMS]
    # Kept in the order WhatsApp, Telegram, SMS, e-mail, whatever order they came in.
    second = make_participant(db)
    db.commit()
    both = client.post(
        _url(event), json={**body, "participant_ids": [str(second.id)]}, headers=osh_headers
    )
    assert both.json()["channels"] == ["sms", "email"]


def test_a_batch_without_sms_costs_no_sms(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0.0)
    people = [str(make_participant(db).id) for _ in range(3)]
    db.commit()
    everyone = client.post(
        _url(event, "/preview"), json={"participant_ids": people}, headers=osh_headers
    ).json()
    telegram = client.post(
        _url(event, "/preview"),
        json={"participant_ids": people, "channels": ["telegram"]},
        headers=osh_headers,
    ).json()
    assert everyone["cost"]["messages"] == 3
    assert telegram["cost"]["messages"] == 0


def test_the_same_key_with_other_channels_is_another_request(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0.0)
    people = [str(make_participant(db).id)]
    db.commit()
    key = {**osh_headers, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"participant_ids": people, "channels": ["sms"]}

    first = client.post(_url(event), json=body, headers=key)
    again = client.post(_url(event), json=body, headers=key)
    other = client.post(_url(event), json={**body, "channels": ["sms", "email"]}, headers=key)

    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_a_refill_follows_the_events_latest_choice(db: Session) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    chosen = InvitationBatch(event_id=event.id, request_fingerprint="x", channels=["sms"])
    db.add(chosen)
    db.flush()
    waiting = make_participant(db, email="waiting@example.org")
    invitation = make_invitation(
        db, event=event, participant=waiting, status=InvitationStatus.WAITLISTED
    )

    refill(session=db, event=event)

    channels = db.scalars(select(Message.channel).where(Message.invitation_id == invitation.id))
    assert list(channels) == [MessageChannel.SMS]
    batch = db.scalar(
        select(InvitationBatch).where(
            InvitationBatch.event_id == event.id, InvitationBatch.kind == BatchKind.REFILL
        )
    )
    assert batch is not None
    assert batch.channels == ["sms"]


def _message(db: Session, invitation: Invitation, *args: Any, **kwargs: Any) -> Message:
    message = channel_message(invitation, *args, **kwargs)
    db.add(message)
    db.flush()
    return message


def test_the_roster_and_the_event_show_each_channels_delivery(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0.0)
    invitation = make_invitation(db, event=event, participant=make_participant(db))
    other = make_invitation(db, event=event, participant=make_participant(db))
    refused = _message(
        db, invitation, MessageChannel.WHATSAPP, MessageStatus.FAILED, reason="not on WhatsApp"
    )
    _message(db, invitation, MessageChannel.SMS, MessageStatus.DELIVERED, fallback_of=refused)
    _message(db, invitation, MessageChannel.EMAIL, MessageStatus.SENT)
    _message(db, other, MessageChannel.SMS, MessageStatus.QUEUED)
    db.commit()

    listed = client.get(_url(event), headers=osh_headers)
    summary = client.get(_url(event, "/delivery"), headers=osh_headers)

    assert listed.status_code == 200, listed.text
    item = next(i for i in listed.json()["items"] if i["id"] == str(invitation.id))
    assert [(m["channel"], m["status"], m["fallback_of"]) for m in item["messages"]] == [
        ("whatsapp", "failed", None),
        ("sms", "delivered", "whatsapp"),
        ("email", "sent", None),
    ]
    assert item["messages"][0]["reason"] == "not on WhatsApp"
    # Where the invitation is: on the channel that carries it now.
    assert item["delivery"]["status"] == "delivered"
    assert summary.status_code == 200, summary.text
    counts = {c["channel"]: c for c in summary.json()["channels"]}
    assert list(counts) == ["whatsapp", "sms", "email"]
    assert (counts["whatsapp"]["failed"], counts["whatsapp"]["total"]) == (1, 1)
    assert (counts["sms"]["delivered"], counts["sms"]["queued"], counts["sms"]["total"]) == (
        1,
        1,
        2,
    )
    assert counts["email"]["sent"] == 1
