"""The console's previews show what operators that do not join SMS parts get: the invite
wizard's samples and the message box's counter."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from birge_shared.models import InvitationStatus, Language, Role
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.console.conftest import ConsoleClient
from tests.integration.console.conftest import SignedIn as _SignedIn

BEELINE = "+996770444321"
TITLE = {"ru": "Международный вечер языкового обмена и культуры для молодёжи Бишкека и Оша"}


@pytest.fixture
def coordinator(signed_in: _SignedIn) -> ConsoleClient:
    client = signed_in(Role.COORDINATOR, ("osh",))
    client.headers["Accept-Language"] = "en"
    return client


def test_the_wizard_shows_the_one_segment_text_beeline_gets(
    coordinator: ConsoleClient, db: Session
) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0, title=TITLE)
    beeline = make_participant(db, language=Language.RU, phone=BEELINE)
    other = make_participant(db, language=Language.RU)
    db.commit()

    page = coordinator.get(
        f"/console/events/{event.id}/invite/proposal",
        params={"mode": "people", "participant": [str(beeline.id), str(other.id)]},
    )

    assert page.status_code == 200, page.text
    assert page.text.count('class="sms-sample"') == 2
    assert "operators that do not join SMS parts (Beeline): one segment only" in page.text
    assert "Shortened to fit one segment." in page.text
    assert "Written in Latin letters to fit one segment." in page.text
    assert "Mezhdunarodnyy vecher" in page.text
    assert TITLE["ru"] in page.text  # the other person's sample is the full Cyrillic text
    assert "Sent to Beeline, one segment each: 1 of them." in page.text


def test_the_message_counter_shows_the_latin_text_for_beeline(
    coordinator: ConsoleClient, db: Session
) -> None:
    event = make_event(db, city="osh", min_share=0)
    make_invitation(
        db,
        event=event,
        participant=make_participant(db, phone=BEELINE),
        status=InvitationStatus.ACCEPTED,
    )
    db.commit()
    text = "Зал сменился: встречаемся в аудитории 204 на втором этаже, вход со стороны двора."

    counted = coordinator.post(
        f"/console/events/{event.id}/message/estimate",
        data={"text": text, "csrf": coordinator.csrf},
        headers={"HX-Request": "true"},
    )

    assert counted.status_code == 200
    assert 'id="message-cost-one-segment"' in counted.text
    assert "they get the text in Latin letters, in one segment" in counted.text
    assert "Zal smenilsya" in counted.text
    too_long = coordinator.post(
        f"/console/events/{event.id}/message",
        data={"text": "Зал сменился. " * 15, "key": "k-1", "csrf": coordinator.csrf},
    )
    assert too_long.status_code == 422
    assert "does not fit one segment for them even in Latin letters" in too_long.text
