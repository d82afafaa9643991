"""The API's previews count SMS segments per kind of operator and show the texts kept to one
segment; messages and templates that ask for a reply are refused while replies are off."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.free_text import EVENT_MESSAGE
from birge_shared.models import Event, InvitationStatus, Language, Message, MessageTemplate
from birge_shared.settings import Settings, get_settings
from birge_shared.sms.segments import count_segments, is_gsm7
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]
LONG_TITLE = {
    "ru": "Международный вечер языкового обмена и культуры для молодёжи Бишкека и Оша",
    "en": "International language exchange evening",
}


def _url(event: Event, suffix: str) -> str:
    return f"/v1/events/{event.id}/invitations{suffix}"


def _number(prefix: str) -> str:
    return f"+996{prefix}{random.randrange(10**6):06d}"


@pytest.fixture
def one_way(app: FastAPI) -> Callable[[], None]:
    def _set() -> None:
        settings: Settings = get_settings().model_copy(update={"sms_two_way": False})
        app.dependency_overrides[get_settings] = lambda: settings

    return _set


def test_the_invitation_preview_counts_beeline_apart_and_shows_its_one_segment_text(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, capacity=10, min_share=0, title=LONG_TITLE)
    beeline = make_participant(db, language=Language.RU, phone=_number("770"))
    megacom = make_participant(db, language=Language.RU, phone=_number("555"))
    db.commit()

    response = client.post(
        _url(event, "/preview"),
        json={"participant_ids": [str(beeline.id), str(megacom.id)]},
        headers=osh_headers,
    )

    assert response.status_code == 200, response.text
    cost: dict[str, Any] = response.json()["cost"]
    assert cost["messages"] == 2
    assert cost["one_segment_messages"] == 1
    assert cost["one_segment_segments"] == 1
    joined, single = cost["texts"]
    assert (joined["one_segment"], single["one_segment"]) == (False, True)
    assert joined["segments_each"] > 1
    assert not joined["shortened"]
    assert LONG_TITLE["ru"] in joined["text"]
    assert single["segments_each"] == 1
    assert single["shortened"]
    assert single["latin"]
    assert is_gsm7(single["text"])
    assert count_segments(single["text"]).segments == 1
    assert cost["segments"] == joined["segments_each"] + 1


def test_a_message_to_the_confirmed_goes_to_beeline_in_latin_letters_in_one_segment(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    phones = {"beeline": _number("770"), "megacom": _number("555")}
    people = {name: make_participant(db, phone=phone) for name, phone in phones.items()}
    for person in people.values():
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    text = "Зал сменился: встречаемся в аудитории 204 на втором этаже, вход со стороны двора."

    estimate = client.post(
        _url(event, "/message/preview"), json={"text": text}, headers=osh_headers
    ).json()
    assert estimate["recipients"] == 2
    assert estimate["one_segment_recipients"] == 1
    assert estimate["one_segment_operators"] == "Beeline"
    assert estimate["one_segment_fits"] is True
    latin = estimate["one_segment_text"]
    assert latin.startswith("Zal smenilsya")
    assert estimate["segments"] == estimate["segments_each"] + 1

    sent = client.post(_url(event, "/message"), json={"text": text}, headers=osh_headers)

    assert sent.status_code == 202, sent.text
    assert sent.json()["segments"] == estimate["segments"]
    bodies = {
        message.participant_id: get_cipher().decrypt(message.body_encrypted or "")
        for message in db.scalars(select(Message).where(Message.purpose == EVENT_MESSAGE))
    }
    assert bodies == {people["beeline"].id: latin, people["megacom"].id: text}


def test_a_message_too_long_for_beeline_even_in_latin_letters_is_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    beeline = make_participant(db, phone=_number("770"))
    make_invitation(db, event=event, participant=beeline, status=InvitationStatus.ACCEPTED)
    db.commit()
    text = "Зал сменился. " * 15

    estimate = client.post(
        _url(event, "/message/preview"), json={"text": text}, headers=osh_headers
    ).json()
    assert estimate["one_segment_fits"] is False
    response = client.post(_url(event, "/message"), json={"text": text}, headers=osh_headers)

    assert response.status_code == 422
    assert response.json()["type"].endswith("too-long-for-operator")
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_without_replies_a_message_asking_for_one_is_refused(
    client: TestClient, osh_headers: Headers, db: Session, one_way: Callable[[], None]
) -> None:
    one_way()
    event = make_event(db, min_share=0)
    person = make_participant(db)
    make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    text = "Придёте? Ответьте ДА или НЕТ."

    estimate = client.post(
        _url(event, "/message/preview"), json={"text": text}, headers=osh_headers
    ).json()
    assert estimate["reply_instruction"] == "ДА"
    response = client.post(_url(event, "/message"), json={"text": text}, headers=osh_headers)

    assert response.status_code == 422
    assert response.json()["type"].endswith("asks-for-reply")
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_without_replies_a_template_asking_for_one_is_refused_and_the_default_asks_none(
    client: TestClient, admin_headers: Headers, db: Session, one_way: Callable[[], None]
) -> None:
    one_way()
    shown = client.get("/v1/message-templates/help/en", headers=admin_headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["body"] == "Birge: you can answer an invitation on the link in its SMS."

    response = client.put(
        "/v1/message-templates/help/en",
        json={"body": "Birge: reply YES or NO."},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert "asks for an SMS reply" in response.json()["detail"]
    assert db.get(MessageTemplate, ("help", Language.EN)) is None


def test_the_template_preview_shows_what_beeline_gets(
    client: TestClient, admin_headers: Headers
) -> None:
    response = client.post(
        "/v1/message-templates/invitation/ru/preview",
        json={"body": "Birge: приглашаем на «{title}»! {date}, {time}, {venue}. Ответить: {link}"},
        headers=admin_headers,
    )

    assert response.status_code == 200, response.text
    counted = response.json()
    assert counted["segments"] > 1
    single = counted["one_segment"]
    assert single["operators"] == "Beeline"
    assert single["shortened"]
    assert single["latin"]
    assert count_segments(single["text"]).segments == 1
