"""Answering one person from the inbox: one message through the outbox, once; by SMS against
the budget, or back on WhatsApp while the person's window is open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.free_text import COORDINATOR_REPLY
from birge_shared.models import (
    AuditEntry,
    Channel,
    Language,
    Message,
    MessageChannel,
    MessageDirection,
    OutboxEntry,
    ParticipantChannel,
    utcnow,
)
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import SmsSend, WhatsAppSend
from tests.factories import make_inbound, make_participant
from tests.integration.whatsapp import on_whatsapp, whatsapp_channel

Headers = dict[str, str]
BEELINE = "+996770555123"


def _url(message: Message) -> str:
    return f"/v1/inbox/{message.id}/reply"


def _answers(db: Session) -> list[Message]:
    return list(
        db.scalars(
            select(Message).where(
                Message.direction == MessageDirection.OUTBOUND, Message.purpose == COORDINATOR_REPLY
            )
        )
    )


def _queued(db: Session) -> list[str]:
    return [
        message_id
        for entry in db.scalars(
            select(OutboxEntry).where(OutboxEntry.task_name == SmsSend.task_name)
        )
        for message_id in entry.payload["message_ids"]
    ]


@pytest.fixture
def budget(app: FastAPI) -> Iterator[Callable[[int], None]]:
    def _set(segments: int) -> None:
        settings: Settings = get_settings().model_copy(
            update={"sms_daily_segment_budget": segments}
        )
        app.dependency_overrides[get_settings] = lambda: settings

    yield _set
    app.dependency_overrides.pop(get_settings, None)


def test_an_answer_is_one_planned_sms_queued_through_the_outbox_and_the_text_is_handled(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = make_inbound(db, participant=make_participant(db, city="osh"))
    db.commit()

    response = client.post(
        _url(inbound), json={"text": "Да, приходите вдвоём!"}, headers=osh_headers
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "planned"
    assert body["segments"] == 1
    assert body["replayed"] is False
    [answer] = _answers(db)
    assert get_cipher().decrypt(answer.body_encrypted or "") == "Да, приходите вдвоём!"
    assert answer.participant_id == inbound.participant_id
    assert _queued(db) == [str(answer.id)]
    db.refresh(inbound)
    assert inbound.handled_at is not None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "inbox.reply")) is not None


def test_the_same_idempotency_key_sends_once_and_another_text_with_it_is_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = make_inbound(db, participant=make_participant(db, city="osh"))
    db.commit()
    headers = {**osh_headers, "Idempotency-Key": "k-1"}

    first = client.post(_url(inbound), json={"text": "See you there"}, headers=headers)
    second = client.post(_url(inbound), json={"text": "See you there"}, headers=headers)
    other = client.post(_url(inbound), json={"text": "Something else"}, headers=headers)

    assert first.status_code == 201, first.text
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert len(_answers(db)) == 1
    assert len(_queued(db)) == 1


def test_an_opted_out_person_is_not_written_to(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    person = make_participant(db, city="osh")
    person.opted_out_at = utcnow()
    inbound = make_inbound(db, participant=person, text="STOP", purpose="reply:stop")
    db.commit()

    response = client.post(_url(inbound), json={"text": "Sorry to see you go"}, headers=osh_headers)

    assert response.status_code == 409
    assert response.json()["type"].endswith("opted-out")
    assert _answers(db) == []
    assert _queued(db) == []


def test_a_long_or_empty_answer_is_refused_and_nothing_is_sent(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = make_inbound(db, participant=make_participant(db, city="osh"))
    db.commit()

    long = client.post(_url(inbound), json={"text": "Ж" * 135}, headers=osh_headers)
    empty = client.post(_url(inbound), json={"text": "   "}, headers=osh_headers)

    assert long.status_code == 422
    assert empty.status_code == 422
    assert _answers(db) == []


def test_past_the_city_budget_the_answer_is_refused(
    client: TestClient, osh_headers: Headers, db: Session, budget: Callable[[int], None]
) -> None:
    person = make_participant(db, city="osh")
    inbound = make_inbound(db, participant=person)
    db.commit()
    budget(1)
    assert (
        client.post(_url(inbound), json={"text": "First"}, headers=osh_headers).status_code == 201
    )
    sent = _answers(db)[0]
    sent.sent_at = utcnow()  # the worker sent it: it uses up the day's one segment
    db.commit()

    response = client.post(_url(inbound), json={"text": "Second"}, headers=osh_headers)

    assert response.status_code == 409
    assert response.json()["type"].endswith("over-budget")
    assert len(_answers(db)) == 1


def test_another_citys_text_is_404_and_a_viewer_is_403(
    client: TestClient,
    bishkek_headers: Headers,
    viewer_headers: Headers,
    db: Session,
) -> None:
    inbound = make_inbound(db, participant=make_participant(db, city="osh"))
    db.commit()

    assert (
        client.post(_url(inbound), json={"text": "Hi"}, headers=bishkek_headers).status_code == 404
    )
    assert (
        client.post(_url(inbound), json={"text": "Hi"}, headers=viewer_headers).status_code == 403
    )
    assert _answers(db) == []


def test_a_text_from_an_unknown_number_has_no_one_to_answer(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    inbound = make_inbound(db, participant=None, purpose="reply:unmatched")
    db.commit()

    response = client.post(_url(inbound), json={"text": "Who are you?"}, headers=admin_headers)

    assert response.status_code == 409
    assert _answers(db) == []


def test_the_inbox_lists_one_city_and_reads_one_text(
    client: TestClient, admin_headers: Headers, db: Session
) -> None:
    osh = make_inbound(db, participant=make_participant(db, city="osh"))
    bishkek = make_inbound(db, participant=make_participant(db, city="bishkek"))
    db.commit()

    listed = client.get("/v1/inbox", params={"city": "bishkek"}, headers=admin_headers)
    one = client.get(f"/v1/inbox/{osh.id}", headers=admin_headers)

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [str(bishkek.id)]
    assert one.status_code == 200
    assert one.json()["text"] == "Can I bring my sister?"


def test_an_answer_to_a_beeline_number_goes_in_one_segment_or_not_at_all(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = make_inbound(db, participant=make_participant(db, city="osh", phone=BEELINE))
    db.commit()
    text = "Да, приходите вдвоём! Вход со стороны двора, второй этаж, аудитория 204."

    response = client.post(_url(inbound), json={"text": text}, headers=osh_headers)

    assert response.status_code == 201, response.text
    assert response.json()["segments"] == 1
    [answer] = _answers(db)
    assert get_cipher().decrypt(answer.body_encrypted or "").startswith("Da, prikhodite vdvoyom!")
    too_long = client.post(_url(inbound), json={"text": "Ж" * 134}, headers=osh_headers)
    assert too_long.status_code == 422
    assert too_long.json()["type"].endswith("too-long-for-operator")
    assert len(_answers(db)) == 1


def test_the_same_key_again_for_a_beeline_answer_in_latin_letters_is_the_first_answer(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = make_inbound(db, participant=make_participant(db, city="osh", phone=BEELINE))
    db.commit()
    headers = {**osh_headers, "Idempotency-Key": "beeline-1"}
    text = "Да, приходите вдвоём! Вход со стороны двора, второй этаж, аудитория 204."

    first = client.post(_url(inbound), json={"text": text}, headers=headers)
    again = client.post(_url(inbound), json={"text": text}, headers=headers)

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    assert len(_answers(db)) == 1


def _wrote_on_whatsapp(db: Session, *, hours_ago: float) -> Message:
    """A text the person sent on WhatsApp, which they opted in to, `hours_ago`."""
    person = on_whatsapp(db, Language.RU)
    person.city_code = "osh"
    wrote_at = utcnow() - timedelta(hours=hours_ago)
    db.scalars(
        select(ParticipantChannel).where(
            ParticipantChannel.participant_id == person.id,
            ParticipantChannel.channel == Channel.WHATSAPP,
        )
    ).one().last_inbound_at = wrote_at
    inbound = make_inbound(db, participant=person)
    inbound.channel = MessageChannel.WHATSAPP
    db.commit()
    return inbound


@pytest.mark.usefixtures(whatsapp_channel.__name__)
def test_a_text_that_came_on_whatsapp_is_answered_on_whatsapp_outside_the_sms_segments(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = _wrote_on_whatsapp(db, hours_ago=1)

    response = client.post(
        _url(inbound), json={"text": "Да, приходите вдвоём!"}, headers=osh_headers
    )

    assert response.status_code == 201, response.text
    assert (response.json()["channel"], response.json()["segments"]) == ("whatsapp", 0)
    [answer] = _answers(db)
    assert answer.channel is MessageChannel.WHATSAPP
    assert answer.segments is None
    sends = db.scalars(
        select(OutboxEntry).where(OutboxEntry.task_name == WhatsAppSend.task_name)
    ).all()
    assert [entry.payload["message_ids"] for entry in sends] == [[str(answer.id)]]
    assert _queued(db) == []


@pytest.mark.usefixtures(whatsapp_channel.__name__)
def test_a_whatsapp_text_older_than_the_window_is_answered_by_sms(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    inbound = _wrote_on_whatsapp(db, hours_ago=30)

    response = client.post(_url(inbound), json={"text": "Да, приходите!"}, headers=osh_headers)

    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "sms"
    [answer] = _answers(db)
    assert _queued(db) == [str(answer.id)]
