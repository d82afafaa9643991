"""A Cyrillic invitation to a Beeline number goes out as one SMS segment, never in parts."""

from __future__ import annotations

import random
import uuid

from birge_shared.crypto import get_cipher
from birge_shared.models import Invitation, InvitationBatch, InvitationStatus, Language
from birge_shared.sms.reply_instructions import reply_instruction
from birge_shared.sms.segments import count_segments
from birge_workers.outbound.lifecycle import Outcome
from tests.integration.sending.conftest import Rows, Sender, any_hour_settings

LONG_TITLE = {
    "ru": "Международный вечер языкового обмена и культуры для молодёжи Бишкека и Оша",
    "ky": "Бишкек жана Ош жаштары үчүн эл аралык тил алмашуу жана маданият кечеси",
    "en": "International language exchange and culture evening for Bishkek and Osh",
}


def _number(prefix: str) -> str:
    return f"+996{prefix}{random.randrange(10**6):06d}"


def _invite(rows: Rows, *, phone: str, language: Language) -> tuple[Invitation, uuid.UUID]:
    event = rows.event(title=LONG_TITLE)
    participant = rows.participant(language=language, phone=phone)
    batch = InvitationBatch(event_id=event.id, request_fingerprint=phone, invited=1)
    rows.session.add(batch)
    rows.session.flush()
    invitation = Invitation(
        event_id=event.id,
        participant_id=participant.id,
        status=InvitationStatus.PLANNED,
        batch_id=batch.id,
    )
    rows.session.add(invitation)
    rows.session.commit()
    return invitation, rows.planned_message(invitation)


def test_a_cyrillic_invitation_to_beeline_is_sent_as_one_segment(
    rows: Rows, sender: Sender
) -> None:
    for language in (Language.RU, Language.KY):
        phone = _number("770")
        invitation, message_id = _invite(rows, phone=phone, language=language)

        assert sender.send([message_id]) == {Outcome.SENT: 1}

        body = sender.api.recent_forms[-1]["Body"]
        assert sender.api.creates_by_to[phone] == 1
        assert count_segments(body).segments == 1
        token = rows.invitation(invitation.id).token
        assert body.endswith(f"http://testserver/p/{token}")
        sent = rows.message(message_id)
        assert sent.segments == 1
        assert sent.body_encrypted is not None
        assert get_cipher().decrypt(sent.body_encrypted) == body


def test_the_same_invitation_to_megacom_keeps_the_full_cyrillic_text(
    rows: Rows, sender: Sender
) -> None:

    phone = _number("555")
    invitation, message_id = _invite(rows, phone=phone, language=Language.RU)

    assert sender.send([message_id]) == {Outcome.SENT: 1}

    body = sender.api.recent_forms[-1]["Body"]
    assert LONG_TITLE["ru"] in body
    assert count_segments(body).segments > 1
    assert rows.invitation(invitation.id).status is InvitationStatus.SENT


def test_without_replies_the_invitation_asks_for_none(rows: Rows, sender: Sender) -> None:

    sender.settings = any_hour_settings(sms_two_way=False)
    phone = _number("555")
    _invitation, message_id = _invite(rows, phone=phone, language=Language.EN)

    assert sender.send([message_id]) == {Outcome.SENT: 1}

    body = sender.api.recent_forms[-1]["Body"]
    assert reply_instruction(body) is None
    assert "Answer here: http://testserver/p/" in body
