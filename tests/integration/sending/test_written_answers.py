"""A coordinator's written answer goes out as written, once, and never to an opted-out person."""

from __future__ import annotations

from birge_shared.crypto import get_cipher
from birge_shared.free_text import COORDINATOR_REPLY
from birge_shared.models import (
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_workers.outbound.lifecycle import Outcome
from tests.integration.sending.conftest import Rows, Sender

TEXT = "Да, приходите вдвоём! Ждём вас в 18:00."


def _answer(rows: Rows, person: Participant) -> Message:
    message = Message(
        direction=MessageDirection.OUTBOUND,
        channel=MessageChannel.SMS,
        purpose=COORDINATOR_REPLY,
        participant_id=person.id,
        status=MessageStatus.PLANNED,
        body_encrypted=get_cipher().encrypt(TEXT),
    )
    rows.session.add(message)
    rows.session.commit()
    return message


def test_a_written_answer_is_sent_as_written_and_only_once(rows: Rows, sender: Sender) -> None:
    person = rows.participant()
    message = _answer(rows, person)

    assert sender.send([message.id]) == {Outcome.SENT: 1}
    assert sender.send([message.id]) == {Outcome.NOT_PLANNED: 1}

    assert sender.api.creates_by_to == {rows.phones[person.id]: 1}
    assert sender.api.recent_forms[-1]["Body"] == TEXT
    assert rows.message(message.id).segments == 1


def test_a_written_answer_to_someone_who_opted_out_since_is_skipped(
    rows: Rows, sender: Sender
) -> None:
    person = rows.participant()
    message = _answer(rows, person)
    row = rows.session.merge(rows.participant_row(person.id))
    row.opted_out_at = utcnow()
    rows.session.commit()

    assert sender.send([message.id]) == {Outcome.SKIPPED: 1}
    assert sender.api.requests == 0
