"""'Stop all messages' on the participant page: the opt-out a STOP reply makes, in ky/ru/en."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.participant_page.service import csrf_token
from birge_shared.i18n import gettext_for
from birge_shared.models import (
    InvitationStatus,
    Language,
    Message,
    MessagePurpose,
    MessageStatus,
    Participant,
)
from birge_shared.outbound.plan import plan_one
from birge_shared.settings import get_settings
from tests.factories import make_event, make_invitation, make_participant


def _csrf(token: str) -> str:
    return csrf_token(
        secret_key=get_settings().secret_key.get_secret_value(), invitation_token=token
    )


@pytest.mark.parametrize(
    ("language", "button", "done"),
    [
        (Language.KY, "Бардык билдирүүлөрдү токтотуу", "Мындан ары билдирүүлөр келбейт"),
        (Language.RU, "Остановить все сообщения", "Сообщений больше не будет"),
        (Language.EN, "Stop all messages", "No more messages"),
    ],
)
def test_stop_all_messages_opts_out_like_stop_in_each_language(
    client: TestClient, db: Session, language: Language, button: str, done: str
) -> None:
    phone = f"+996770{random.randrange(10**6):06d}"
    person = make_participant(db, language=language, phone=phone)
    # The same number registered in the other city: STOP stops both, and so does the page.
    twin = make_participant(db, language=language, phone=phone, city="bishkek")
    event, other = make_event(db), make_event(db)
    invitation = make_invitation(db, event=event, participant=person, status=InvitationStatus.SENT)
    accepted = make_invitation(
        db, event=other, participant=person, status=InvitationStatus.ACCEPTED
    )
    reminder = plan_one(
        session=db,
        purpose=MessagePurpose.REMINDER,
        participant_id=person.id,
        invitation_id=accepted.id,
        version="test",
    )
    db.commit()
    page = client.get(f"/p/{invitation.token}").text
    assert f'<form method="post" action="/p/{invitation.token}/stop">' in page
    assert button in page

    response = client.post(
        f"/p/{invitation.token}/stop",
        data={"csrf": _csrf(invitation.token), "lang": language.value},
    )

    assert response.status_code == 200, response.text
    assert gettext_for(language, "No more messages") in response.text
    assert done in response.text
    db.expire_all()
    for row in (person, twin):
        assert db.get(Participant, row.id).opted_out_at is not None  # type: ignore[union-attr]
    assert {invitation.status, accepted.status} == {InvitationStatus.WITHDRAWN}
    assert db.get(Message, reminder).status is MessageStatus.SKIPPED  # type: ignore[union-attr]
    # Posting again (a reload) changes nothing and still confirms.
    again = client.post(
        f"/p/{invitation.token}/stop", data={"csrf": _csrf(invitation.token), "lang": ""}
    )
    assert again.status_code == 404  # the withdrawn invitation's page is gone, as after STOP


def test_a_stop_without_the_form_token_is_refused_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    person = make_participant(db)
    invitation = make_invitation(db, event=make_event(db), participant=person)
    db.commit()

    response = client.post(f"/p/{invitation.token}/stop", data={"csrf": "0" * 64})

    assert response.status_code == 403
    db.expire_all()
    assert db.get(Participant, person.id).opted_out_at is None  # type: ignore[union-attr]
    assert db.scalar(select(Message).where(Message.participant_id == person.id)) is None


def test_a_person_who_stopped_sees_it_on_a_page_still_shown(
    client: TestClient, db: Session
) -> None:
    person = make_participant(db, language=Language.EN)
    invitation = make_invitation(
        db, event=make_event(db), participant=person, status=InvitationStatus.ATTENDED
    )
    person.opted_out_at = invitation.created_at
    db.commit()

    page = client.get(f"/p/{invitation.token}").text

    assert "You get no more messages from Birge." in page
    assert f'action="/p/{invitation.token}/stop"' not in page
