"""A coordinator's message to the confirmed people goes on each person's first messenger that
can carry it now: Telegram, WhatsApp inside the person's 24-hour window, else SMS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.crypto import get_cipher
from birge_shared.free_text import EVENT_MESSAGE
from birge_shared.models import (
    Channel,
    Event,
    InvitationStatus,
    Language,
    Message,
    MessageChannel,
    OutboxEntry,
    Participant,
    ParticipantChannel,
    utcnow,
)
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.whatsapp import on_whatsapp, whatsapp_channel

pytestmark = pytest.mark.usefixtures(whatsapp_channel.__name__)

TEXT = "Room 204 tonight, not 105."


def _url(event: Event, suffix: str) -> str:
    return f"/v1/events/{event.id}/invitations{suffix}"


def _wrote_on_whatsapp(db: Session, person: Participant, ago: timedelta) -> None:
    row = db.scalars(
        select(ParticipantChannel).where(
            ParticipantChannel.participant_id == person.id,
            ParticipantChannel.channel == Channel.WHATSAPP,
        )
    ).one()
    row.last_inbound_at = utcnow() - ago


def _confirmed(db: Session) -> tuple[Event, dict[str, Participant]]:
    event = make_event(db, min_share=0)
    people = {
        "telegram": make_participant(db),
        "whatsapp in its window": on_whatsapp(db, Language.RU),
        "whatsapp out of it": on_whatsapp(db, Language.RU),
        "sms": make_participant(db),
    }
    channels.link_telegram(session=db, participant=people["telegram"], chat_id="700800900")
    _wrote_on_whatsapp(db, people["whatsapp in its window"], timedelta(hours=2))
    _wrote_on_whatsapp(db, people["whatsapp out of it"], timedelta(days=3))
    for person in people.values():
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    return event, people


def test_the_message_goes_on_each_persons_first_messenger_that_can_carry_it_now(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    event, people = _confirmed(db)

    estimate = client.post(
        _url(event, "/message/preview"), json={"text": TEXT}, headers=osh_headers
    ).json()
    assert estimate["recipients"] == 4
    assert estimate["channels"] == {"whatsapp": 1, "telegram": 1, "sms": 2}
    # Only what goes by SMS is counted in segments against the budget.
    assert estimate["segments"] == 2 * estimate["segments_each"]

    headers = {**osh_headers, "Idempotency-Key": "room-204"}
    sent = client.post(_url(event, "/message"), json={"text": TEXT}, headers=headers)
    assert sent.status_code == 202, sent.text
    assert sent.json()["planned"] == 4
    assert sent.json()["channels"] == {"whatsapp": 1, "telegram": 1, "sms": 2}
    messages = {
        m.participant_id: m
        for m in db.scalars(select(Message).where(Message.purpose == EVENT_MESSAGE))
    }
    assert {name: messages[p.id].channel for name, p in people.items()} == {
        "telegram": MessageChannel.TELEGRAM,
        "whatsapp in its window": MessageChannel.WHATSAPP,
        "whatsapp out of it": MessageChannel.SMS,
        "sms": MessageChannel.SMS,
    }
    cipher = get_cipher()
    assert all(cipher.decrypt(m.body_encrypted or "") == TEXT for m in messages.values())
    assert [m.segments is not None for m in messages.values()].count(True) == 2
    tasks = set(
        db.scalars(select(OutboxEntry.task_name).where(OutboxEntry.task_name.like("%.send")))
    )
    assert {"sms.send", "telegram.send", "whatsapp.send"} <= tasks


def test_the_same_key_again_plans_nothing_on_any_channel_after_the_window_closed(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    event, people = _confirmed(db)
    headers = {**osh_headers, "Idempotency-Key": "room-204-again"}
    first = client.post(_url(event, "/message"), json={"text": TEXT}, headers=headers)
    assert first.status_code == 202, first.text

    # A day later the person's window has closed: a resent form must not write to them twice.
    _wrote_on_whatsapp(db, people["whatsapp in its window"], timedelta(days=2))
    db.commit()
    again = client.post(_url(event, "/message"), json={"text": TEXT}, headers=headers)

    assert again.status_code == 202
    assert again.json()["planned"] == 0
    assert again.json()["batch_id"] == first.json()["batch_id"]
    planned = db.scalars(select(Message.id).where(Message.purpose == EVENT_MESSAGE)).all()
    assert len(planned) == 4
