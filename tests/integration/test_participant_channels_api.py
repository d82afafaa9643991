"""A participant's channels through the API: read, reorder, opt out; viewers see nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.models import (
    AuditEntry,
    Channel,
    ChannelOptOutMethod,
    ParticipantChannel,
    TelegramLinkCode,
)
from birge_shared.telegram_links import new_link_code
from tests.factories import make_participant


def _url(participant_id: object) -> str:
    return f"/v1/participants/{participant_id}/channels"


def _order(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"channels": items}


def test_a_person_registered_with_a_phone_and_e_mail_has_sms_then_e_mail(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    participant = make_participant(db, email="aigul@example.org")
    db.commit()
    listed = client.get(_url(participant.id), headers=osh_headers).json()["channels"]
    assert [(item["channel"], item["usable"], item["opt_in_method"]) for item in listed] == [
        ("sms", True, "consent"),
        ("email", True, "consent"),
    ]


def test_whatsapp_is_listed_but_unusable_until_an_explicit_opt_in(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    participant = make_participant(db)
    db.commit()
    listed = client.put(
        _url(participant.id),
        json=_order([{"channel": "whatsapp"}, {"channel": "sms"}]),
        headers=osh_headers,
    ).json()["channels"]
    assert [(item["channel"], item["usable"]) for item in listed] == [
        ("whatsapp", False),
        ("sms", True),
    ]
    opted = client.put(
        _url(participant.id),
        json=_order([{"channel": "whatsapp", "opt_in": "paper_form"}]),
        headers=osh_headers,
    ).json()["channels"]
    assert opted[0]["usable"] is True
    assert opted[0]["opt_in_method"] == "paper_form"
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "participant.channels", AuditEntry.object_id == str(participant.id)
        )
    ).all()
    assert [item.details["opted_in"] for item in entry] == [[], ["whatsapp"]]


def test_a_coordinator_reorders_and_opts_a_channel_out_and_back(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    participant = make_participant(db, email="b@example.org")
    db.commit()
    body = _order([{"channel": "email"}, {"channel": "sms", "opted_out": True}])
    listed = client.put(_url(participant.id), json=body, headers=osh_headers).json()["channels"]
    assert [(item["channel"], item["usable"], item["opt_out_method"]) for item in listed] == [
        ("email", True, None),
        ("sms", False, "coordinator"),
    ]
    db.expire_all()
    assert [reach.channel for reach in channels.reachable(db, participant)] == [Channel.EMAIL]
    back = client.put(
        _url(participant.id), json=_order([{"channel": "sms"}]), headers=osh_headers
    ).json()["channels"]
    assert [(item["channel"], item["usable"]) for item in back] == [
        ("sms", True),
        ("email", True),
    ]


def test_refused_orders_change_nothing(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    participant = make_participant(db)  # no e-mail, no Telegram
    db.commit()
    for body, field in [
        (_order([{"channel": "email"}]), "channels.0"),
        (_order([{"channel": "telegram"}]), "channels.0"),
        (_order([{"channel": "sms"}, {"channel": "sms"}]), "channels.1"),
        (_order([{"channel": "whatsapp", "opt_in": "telegram_start"}]), "channels.0.opt_in"),
    ]:
        response = client.put(_url(participant.id), json=body, headers=osh_headers)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
    rows = db.scalar(
        select(func.count())
        .select_from(ParticipantChannel)
        .where(ParticipantChannel.participant_id == participant.id)
    )
    assert rows == 0


def test_a_channel_the_person_stopped_is_not_switched_back_on_by_a_coordinator(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    participant = make_participant(db)
    channels.link_telegram(session=db, participant=participant, chat_id="555000111")
    channels.opt_out(
        session=db,
        participant_id=participant.id,
        channel=Channel.TELEGRAM,
        method=ChannelOptOutMethod.TELEGRAM_STOP,
    )
    db.commit()
    response = client.put(
        _url(participant.id), json=_order([{"channel": "telegram"}]), headers=osh_headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channels.0.opted_out"


def test_whatsapp_the_provider_found_no_account_on_is_switched_on_again_by_a_coordinator(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    # The person has joined WhatsApp since Twilio answered "not on WhatsApp" (63003).
    participant = make_participant(db)
    db.commit()
    client.put(
        _url(participant.id),
        json=_order([{"channel": "whatsapp", "opt_in": "verbal"}]),
        headers=osh_headers,
    )
    channels.opt_out(
        session=db,
        participant_id=participant.id,
        channel=Channel.WHATSAPP,
        method=ChannelOptOutMethod.NOT_ON_CHANNEL,
    )
    db.commit()
    before = client.get(_url(participant.id), headers=osh_headers).json()["channels"]
    assert (before[0]["channel"], before[0]["usable"], before[0]["opt_out_method"]) == (
        "whatsapp",
        False,
        "not_on_channel",
    )
    back = client.put(
        _url(participant.id), json=_order([{"channel": "whatsapp"}]), headers=osh_headers
    ).json()["channels"]
    assert (back[0]["channel"], back[0]["usable"], back[0]["opt_out_method"]) == (
        "whatsapp",
        True,
        None,
    )


def test_viewers_and_other_cities_see_nothing(
    client: TestClient,
    db: Session,
    viewer_headers: dict[str, str],
    bishkek_headers: dict[str, str],
) -> None:
    participant = make_participant(db, city="osh")
    db.commit()
    assert client.get(_url(participant.id), headers=viewer_headers).status_code == 403
    assert (
        client.put(
            _url(participant.id), json=_order([{"channel": "sms"}]), headers=viewer_headers
        ).status_code
        == 403
    )
    assert client.get(_url(participant.id), headers=bishkek_headers).status_code == 404


def test_erasure_removes_the_channels_the_chat_id_and_the_link_codes(
    client: TestClient, db: Session, osh_headers: dict[str, str]
) -> None:
    participant = make_participant(db)
    channels.link_telegram(session=db, participant=participant, chat_id="555000222")
    new_link_code(session=db, participant_id=participant.id)
    db.commit()
    assert (
        client.delete(f"/v1/participants/{participant.id}", headers=osh_headers).status_code == 204
    )
    db.expire_all()
    for model in (ParticipantChannel, TelegramLinkCode):
        left = db.scalar(
            select(func.count()).select_from(model).where(model.participant_id == participant.id)
        )
        assert left == 0
    assert channels.telegram_rows(db, "555000222") == []
