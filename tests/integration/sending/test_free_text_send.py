"""A coordinator's own words to the confirmed people go out as written, once; by SMS to an
operator that does not join parts, in one segment or not at all."""

from __future__ import annotations

import random
import uuid

from birge_shared.crypto import get_cipher
from birge_shared.free_text import EVENT_MESSAGE, plan_free_text
from birge_shared.models import InvitationStatus, Language, MessageStatus, Participant
from birge_shared.sms.segments import count_segments
from birge_workers.outbound.lifecycle import Outcome
from tests.integration.sending.conftest import Rows, Sender

#: Beeline Kyrgyzstan (MCC 437, MNC 01), which does not join the parts of a long SMS.
BEELINE_PREFIX = "+996770"


def test_a_free_text_message_is_sent_as_stored_and_once(rows: Rows, sender: Sender) -> None:
    _, (invitation,) = rows.batch(rows.event(), planned=1)
    invitation.status = InvitationStatus.ACCEPTED
    text = "Кабинет 204, не 105."
    message_id = plan_free_text(
        session=rows.session,
        purpose=EVENT_MESSAGE,
        participant_id=invitation.participant_id,
        invitation_id=invitation.id,
        text=text,
        version="k",
    )
    rows.session.commit()
    assert message_id is not None

    assert sender.send([message_id]) == {Outcome.SENT: 1}
    assert sender.send([message_id]) == {Outcome.NOT_PLANNED: 1}

    assert sender.api.recent_forms[-1]["Body"] == text
    message = rows.message(message_id)
    assert message.status is MessageStatus.QUEUED
    assert message.body_encrypted is not None
    assert get_cipher().decrypt(message.body_encrypted) == text
    # An accepted invitation stays accepted: this is no invitation SMS.
    assert rows.invitation(invitation.id).status is InvitationStatus.ACCEPTED


def _planned_for_beeline(rows: Rows, text: str) -> tuple[str, uuid.UUID]:
    """`text` planned by SMS as it stands, as a messenger's fallback plans it."""
    number = f"{BEELINE_PREFIX}{random.randrange(10**6):06d}"

    def on_beeline(language: Language) -> Participant:
        return rows.participant(language=language, phone=number)

    _, (invitation,) = rows.batch(rows.event(), planned=1, person=on_beeline)
    message_id = plan_free_text(
        session=rows.session,
        purpose=EVENT_MESSAGE,
        participant_id=invitation.participant_id,
        invitation_id=invitation.id,
        text=text,
        version="fallback",
    )
    rows.session.commit()
    assert message_id is not None
    return number, message_id


def test_words_that_reach_beeline_by_sms_unfitted_go_in_latin_letters_in_one_segment(
    rows: Rows, sender: Sender
) -> None:
    text = "Завтра встречаемся не в кабинете 105, а в большом зале на втором этаже, вход со двора."
    assert count_segments(text).segments == 2
    number, message_id = _planned_for_beeline(rows, text)

    assert sender.send([message_id]) == {Outcome.SENT: 1}

    [form] = [form for form in sender.api.recent_forms if form["To"] == number]
    assert form["Body"].startswith("Zavtra vstrechaemsya")
    assert count_segments(form["Body"]).segments == 1


def test_words_too_long_for_beeline_even_in_latin_letters_are_never_sent_in_parts(
    rows: Rows, sender: Sender
) -> None:
    number, message_id = _planned_for_beeline(rows, "Очень длинное сообщение. " * 12)

    assert sender.send([message_id]) == {Outcome.FAILED: 1}

    assert sender.api.creates_by_to[number] == 0
    failed = rows.message(message_id)
    assert failed.status is MessageStatus.FAILED
    assert failed.error_code == "no-one-segment"
    assert "one segment" in (failed.error_reason or "")
