"""Quiet hours in Bishkek: invitations planned at night wait for 09:00; answers do not wait."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from birge_shared.db import session_scope
from birge_shared.models import InvitationStatus, MessagePurpose, MessageStatus, utcnow
from birge_shared.outbound.plan import plan_one
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.outbound.release import release_due
from birge_workers.sending.fanout import fan_out
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import Rows, Sender, settings_with, twilio_for

BISHKEK = ZoneInfo("Asia/Bishkek")
EVENING = datetime(2027, 3, 10, 22, 30, tzinfo=BISHKEK)
NEXT_MORNING = datetime(2027, 3, 11, 9, 0, tzinfo=BISHKEK)


@pytest.fixture
def sender(messages_api: FakeMessagesApi) -> Sender:
    """A sender with the default quiet hours, 21:00 to 09:00, spelled out."""
    return Sender(
        api=messages_api,
        provider=twilio_for(messages_api),
        settings=settings_with(quiet_hours_start=time(21), quiet_hours_end=time(9)),
    )


def release(now: datetime) -> int:
    with session_scope() as session:
        return release_due(session=session, now=now, chunk_size=50)


def test_invitations_planned_at_night_go_out_at_nine(rows: Rows, sender: Sender) -> None:
    with time_machine.travel(EVENING, tick=True):
        event = rows.event()
        batch, invitations = rows.batch(event, planned=3)
        fan_out(batch_id=batch.id, chunk_size=50, transaction=session_scope)

        assert sender.drain(rows) == {Outcome.QUIET: 3}

        assert sender.api.requests == 0
        messages = rows.messages_of(event)
        assert {m.status for m in messages} == {MessageStatus.PLANNED}
        assert {m.not_before for m in messages} == {NEXT_MORNING}
        assert {m.not_before for m in messages} == {datetime(2027, 3, 11, 3, 0, tzinfo=UTC)}
        assert {m.attempts for m in messages} == {0}
        assert release(utcnow()) == 0

    with time_machine.travel(NEXT_MORNING - timedelta(seconds=10), tick=False):
        assert release(utcnow()) == 0
        # Even a stray send before nine leaves them waiting.
        assert sender.send([m.id for m in messages]) == {Outcome.NOT_DUE: 3}

    with time_machine.travel(NEXT_MORNING + timedelta(seconds=1), tick=True):
        assert release(utcnow()) == 3
        assert sender.drain(rows) == {Outcome.SENT: 3}

    assert sender.api.total_creates == 3
    assert set(sender.api.creates_by_to.values()) == {1}
    assert {rows.invitation(i.id).status for i in invitations} == {InvitationStatus.SENT}


def test_a_message_due_at_night_from_a_retry_waits_for_the_morning_too(
    rows: Rows, sender: Sender
) -> None:
    with time_machine.travel(EVENING - timedelta(hours=2), tick=True):
        _, message_id = rows.invite()
    # Its backoff ended at 22:30: when released, it finds quiet hours and waits again.
    with time_machine.travel(EVENING, tick=True):
        assert sender.send([message_id]) == {Outcome.QUIET: 1}
    assert rows.message(message_id).not_before == NEXT_MORNING


def test_an_answer_to_the_participant_goes_out_at_once_even_at_night(
    rows: Rows, sender: Sender
) -> None:
    with time_machine.travel(EVENING, tick=True):
        participant = rows.participant()
        message_id = plan_one(
            session=rows.session,
            purpose=MessagePurpose.HELP,
            participant_id=participant.id,
            version=str(uuid.uuid4()),
        )
        rows.session.commit()
        assert message_id is not None

        assert sender.send([message_id]) == {Outcome.SENT: 1}

    assert sender.api.creates_by_to == {rows.phones[participant.id]: 1}
    assert sender.api.recent_forms[-1]["Body"].startswith("Birge: ответьте ДА или НЕТ")
    assert "ValidityPeriod" not in sender.api.recent_forms[-1]


def test_an_opt_out_confirmation_reaches_the_person_who_opted_out(
    rows: Rows, sender: Sender
) -> None:
    participant = rows.participant()
    participant.opted_out_at = utcnow()
    rows.session.commit()
    ids = [
        plan_one(
            session=rows.session,
            purpose=purpose,
            participant_id=participant.id,
            version=str(uuid.uuid4()),
        )
        for purpose in (MessagePurpose.OPTED_OUT, MessagePurpose.REPLY_HINT)
    ]
    rows.session.commit()

    assert sender.send([id_ for id_ in ids if id_ is not None]) == {
        Outcome.SENT: 1,
        Outcome.SKIPPED: 1,
    }
    assert sender.api.recent_forms[-1]["Body"].startswith("Birge: вы отписаны")
