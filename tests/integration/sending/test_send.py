"""`sms.send` against the real Twilio SDK and a fake Messages API: once, and only once."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine

from birge_shared.crypto import get_cipher
from birge_shared.db import session_scope
from birge_shared.models import (
    EventStatus,
    InvitationStatus,
    Language,
    MessageStatus,
    utcnow,
)
from birge_workers.outbound.backoff import retry_delay
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import Settled, sweep_in_flight
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel, validity_period
from tests.fakes.fake_messages_api import FakeMessagesApi, ScriptedAnswer
from tests.integration.claiming import claim_sms
from tests.integration.sending.conftest import (
    Rows,
    Sender,
    any_hour_settings,
    twilio_for,
)

STATUS_CALLBACK = "http://testserver/webhooks/twilio/status"


def wait_until(condition: Callable[[], bool], *, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {seconds} s")
        time.sleep(0.02)


def release_and_send(rows: Rows, sender: Sender) -> None:
    with session_scope() as session:
        release_due(session=session, now=utcnow(), chunk_size=50)
    sender.drain(rows)


def test_an_invitation_goes_out_once_in_the_participant_s_language(
    rows: Rows, sender: Sender
) -> None:
    invitation, message_id = rows.invite(language=Language.EN)
    phone = rows.phones[invitation.participant_id]
    before = utcnow()

    assert sender.send([message_id]) == {Outcome.SENT: 1}

    assert sender.api.creates_by_to == {phone: 1}
    form = sender.api.recent_forms[-1]
    token = rows.invitation(invitation.id).token
    assert form["Body"].startswith("Birge: you're invited to Cooking plov together!")
    assert form["Body"].endswith(f"Reply: http://testserver/p/{token}")
    assert form["StatusCallback"] == STATUS_CALLBACK
    assert "ValidityPeriod" not in form  # a week away: Twilio's own maximum applies

    message = rows.message(message_id)
    assert message.status is MessageStatus.QUEUED
    assert message.provider_sid is not None
    assert message.provider_sid.startswith("SM")
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.sent_at >= before
    assert message.body_encrypted is not None
    assert get_cipher().decrypt(message.body_encrypted) == form["Body"]
    assert form["Body"] not in message.body_encrypted
    assert message.segments == 1

    sent = rows.invitation(invitation.id)
    assert sent.status is InvitationStatus.SENT
    assert sent.sent_at == message.sent_at
    assert sent.expires_at == message.sent_at + timedelta(hours=48)


def test_a_russian_invitation_for_an_event_soon_may_wait_only_until_it_starts(
    rows: Rows, sender: Sender
) -> None:
    event = rows.event(starts_at=utcnow() + timedelta(hours=2))
    invitation, message_id = rows.invite(event=event)

    sender.send([message_id])

    form = sender.api.recent_forms[-1]
    assert form["Body"].startswith("Birge: приглашаем на «Плов вместе»!")
    assert 7100 <= int(form["ValidityPeriod"]) <= 7200
    # A day before the start is past, yet the person gets the minimum answer window, cut by
    # the start: the deadline is the start itself, never the moment of sending.
    sent = rows.invitation(invitation.id)
    assert sent.sent_at is not None
    assert sent.expires_at == event.starts_at > sent.sent_at


def test_a_task_run_twice_sends_once(rows: Rows, sender: Sender) -> None:
    _, message_id = rows.invite()
    assert sender.send([message_id]) == {Outcome.SENT: 1}
    assert sender.send([message_id, message_id]) == {Outcome.NOT_PLANNED: 1}
    assert sender.api.total_creates == 1


def test_the_same_chunk_in_four_workers_at_once_sends_each_message_once(
    rows: Rows, sender: Sender
) -> None:
    event = rows.event()
    _, invitations = rows.batch(event, planned=12)
    message_ids = [rows.planned_message(invitation) for invitation in invitations]
    sender.api.delay = 0.01  # long enough for the workers to overlap
    outcomes: list[dict[Outcome, int]] = []

    def work() -> None:
        outcomes.append(sender.send(message_ids))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sender.api.total_creates == 12
    assert set(sender.api.creates_by_to.values()) == {1}
    assert sum(outcome.get(Outcome.SENT, 0) for outcome in outcomes) == 12
    assert {m.status for m in rows.messages_of(event)} == {MessageStatus.QUEUED}


def test_an_opted_out_participant_s_planned_message_is_skipped(rows: Rows, sender: Sender) -> None:
    event = rows.event(capacity=1)
    _, (invited, waiting) = rows.batch(event, planned=1, waitlisted=1)
    message_id = rows.planned_message(invited)
    participant = rows.session.merge(rows.participant_row(invited.participant_id))
    participant.opted_out_at = utcnow()
    rows.session.commit()

    assert sender.send([message_id]) == {Outcome.SKIPPED: 1}

    assert sender.api.requests == 0
    message = rows.message(message_id)
    assert message.status is MessageStatus.SKIPPED
    assert message.error_reason == "the participant opted out"
    # Nobody will receive that invitation: its seat goes to the next person waiting.
    assert rows.invitation(invited.id).status is InvitationStatus.FAILED
    assert rows.invitation(waiting.id).status is InvitationStatus.PLANNED
    sender.drain(rows)
    assert sender.api.creates_by_to == {rows.phones[waiting.participant_id]: 1}


def test_an_answered_invitation_is_not_sent(rows: Rows, sender: Sender) -> None:
    invitation, message_id = rows.invite()
    row = rows.session.merge(rows.invitation(invitation.id))
    row.status = InvitationStatus.DECLINED
    rows.session.commit()

    assert sender.send([message_id]) == {Outcome.SKIPPED: 1}
    assert rows.message(message_id).error_reason == "the invitation is already declined"
    assert rows.invitation(invitation.id).status is InvitationStatus.DECLINED
    assert sender.api.requests == 0


def test_an_invitation_to_a_cancelled_event_is_not_sent(rows: Rows, sender: Sender) -> None:
    _, message_id = rows.invite(event=rows.event(status=EventStatus.CANCELLED))
    assert sender.send([message_id]) == {Outcome.SKIPPED: 1}
    assert rows.message(message_id).error_reason == "the event was cancelled"
    assert sender.api.requests == 0


@pytest.mark.parametrize(
    "answer",
    [
        ScriptedAnswer(429, 20429, "Too Many Requests"),
        ScriptedAnswer(500, 20500, "Internal Server Error"),
    ],
    ids=["rate-limited", "server-error"],
)
def test_a_temporary_error_is_retried_after_a_backoff(
    rows: Rows, sender: Sender, answer: ScriptedAnswer
) -> None:
    invitation, message_id = rows.invite()
    sender.api.answer_next(answer)
    started = utcnow()

    assert sender.send([message_id]) == {Outcome.RETRY: 1}

    waiting = rows.message(message_id)
    assert waiting.status is MessageStatus.PLANNED
    assert waiting.attempts == 1
    assert waiting.error_code == str(answer.code)
    assert waiting.not_before is not None
    assert started + timedelta(seconds=23) <= waiting.not_before
    assert waiting.not_before <= utcnow() + timedelta(seconds=37)
    assert rows.invitation(invitation.id).status is InvitationStatus.PLANNED

    # Not yet due: a release now queues nothing, and a stray send does nothing.
    with session_scope() as session:
        assert release_due(session=session, now=utcnow(), chunk_size=50) == 0
    assert sender.send([message_id]) == {Outcome.NOT_DUE: 1}

    with time_machine.travel(waiting.not_before + timedelta(seconds=1), tick=True):
        release_and_send(rows, sender)

    assert sender.api.requests == 2
    assert sender.api.total_creates == 1
    sent = rows.message(message_id)
    assert sent.status is MessageStatus.QUEUED
    assert sent.attempts == 2
    assert sent.error_code is None
    assert rows.invitation(invitation.id).status is InvitationStatus.SENT


def test_retries_end_after_the_last_attempt(rows: Rows, sender: Sender) -> None:
    sender.settings = any_hour_settings(sms_max_attempts=2)
    invitation, message_id = rows.invite()
    sender.api.answer_next(ScriptedAnswer(503, 503, "Service Unavailable"), count=2)

    assert sender.send([message_id]) == {Outcome.RETRY: 1}
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        with session_scope() as session:
            release_due(session=session, now=utcnow(), chunk_size=50)
        assert sender.send(rows.queued_sends()[0]) == {Outcome.FAILED: 1}

    failed = rows.message(message_id)
    assert failed.status is MessageStatus.FAILED
    assert failed.error_reason == "gave up after 2 attempts: Twilio is unavailable (HTTP 503)"
    assert rows.invitation(invitation.id).status is InvitationStatus.FAILED
    assert sender.api.total_creates == 0


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21211, "the recipient number is not a valid phone number"),
        (21614, "the recipient number is not a mobile number"),
    ],
)
def test_a_refused_number_fails_the_invitation_and_the_waitlist_moves_up(
    rows: Rows, sender: Sender, code: int, reason: str
) -> None:
    event = rows.event(capacity=1)
    _, (invited, waiting) = rows.batch(event, planned=1, waitlisted=1)
    message_id = rows.planned_message(invited)
    phone = rows.phones[invited.participant_id]
    sender.api.refuse_number(phone, ScriptedAnswer(400, code, f"The number {phone} is bad"))

    assert sender.send([message_id]) == {Outcome.FAILED: 1}

    message = rows.message(message_id)
    assert message.status is MessageStatus.FAILED
    assert message.error_code == str(code)
    assert message.error_reason == reason
    closed = rows.invitation(invited.id)
    assert closed.status is InvitationStatus.FAILED
    assert closed.closed_reason == f"the invitation SMS could not be sent: {reason}"
    assert rows.invitation(waiting.id).status is InvitationStatus.PLANNED

    sender.drain(rows)
    assert sender.api.creates_by_to == {rows.phones[waiting.participant_id]: 1}
    assert rows.invitation(waiting.id).status is InvitationStatus.SENT
    assert rows.participant_row(invited.participant_id).opted_out_at is None


def test_an_unsubscribed_recipient_is_opted_out(rows: Rows, sender: Sender) -> None:
    invitation, message_id = rows.invite()
    phone = rows.phones[invitation.participant_id]
    sender.api.refuse_number(phone, ScriptedAnswer(400, 21610, "Attempt to send to unsubscribed"))

    assert sender.send([message_id]) == {Outcome.FAILED: 1}

    assert rows.message(message_id).error_code == "21610"
    assert rows.participant_row(invitation.participant_id).opted_out_at is not None
    assert rows.invitation(invitation.id).status is InvitationStatus.FAILED


def test_a_lost_answer_is_settled_by_the_sweeper_without_a_second_send(
    rows: Rows, messages_api: FakeMessagesApi
) -> None:
    sender = Sender(api=messages_api, provider=twilio_for(messages_api, read_timeout=0.3))
    invitation, message_id = rows.invite()
    messages_api.delay = 1.0  # Twilio takes the message but answers after we gave up

    assert sender.send([message_id]) == {Outcome.IN_DOUBT: 1}

    assert rows.message(message_id).status is MessageStatus.SENDING
    wait_until(lambda: messages_api.total_creates == 1)
    messages_api.delay = 0
    # Too early: a send still in progress is nobody's to settle.
    assert sweep(sender) == {}
    assert sweep(sender, later=timedelta(minutes=15)) == {Settled.FOUND: 1}

    message = rows.message(message_id)
    assert message.status is MessageStatus.QUEUED
    assert message.provider_sid is not None
    assert rows.invitation(invitation.id).status is InvitationStatus.SENT
    assert messages_api.total_creates == 1
    assert rows.queued_sends() == []


def test_a_send_that_never_left_is_retried_by_the_sweeper(rows: Rows, sender: Sender) -> None:
    _, message_id = rows.invite()
    # The worker claimed the message and died before calling Twilio.
    with session_scope() as session:
        claimed = claim_sms(
            session=session, message_id=message_id, settings=sender.settings, now=utcnow()
        )
    assert not isinstance(claimed, Outcome)

    assert sweep(sender, later=timedelta(minutes=15)) == {Settled.RETRY: 1}
    assert rows.message(message_id).status is MessageStatus.PLANNED

    sender.drain(rows)
    assert sender.api.total_creates == 1
    message = rows.message(message_id)
    assert message.status is MessageStatus.QUEUED
    assert message.attempts == 2


def test_a_failing_lookup_leaves_the_message_for_the_next_sweep(rows: Rows, sender: Sender) -> None:
    _, message_id = rows.invite()
    with session_scope() as session:
        claim_sms(session=session, message_id=message_id, settings=sender.settings, now=utcnow())
    sender.api.answer_next(ScriptedAnswer(500, 20500, "Internal Server Error"))

    assert sweep(sender, later=timedelta(minutes=15)) == {Settled.UNKNOWN: 1}
    assert rows.message(message_id).status is MessageStatus.SENDING
    assert sender.api.lists == 1
    assert sender.api.total_creates == 0


def test_without_a_token_in_time_the_chunk_goes_back_to_the_queue(
    rows: Rows, sender: Sender
) -> None:
    event = rows.event()
    _, invitations = rows.batch(event, planned=3)
    message_ids = [rows.planned_message(invitation) for invitation in invitations]
    sender.pacer = LocalTokenBucket(0.001)  # one token, then the next in 1000 s
    assert sender.pacer.try_acquire() == 0

    # Nothing of the chunk was sent: all of it goes back, in one task.
    assert sender.send(message_ids) == {Outcome.PACED_OUT: 3}

    assert sender.api.requests == 0
    assert [rows.message(id_).status for id_ in message_ids] == [MessageStatus.PLANNED] * 3
    assert rows.message(message_ids[0]).attempts == 0
    assert rows.queued_sends() == [message_ids]


def test_no_number_or_text_reaches_the_logs(
    rows: Rows, sender: Sender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    invitation, message_id = rows.invite()
    refused, refused_id = rows.invite()
    phone = rows.phones[refused.participant_id]
    sender.api.refuse_number(phone, ScriptedAnswer(400, 21211, f"The 'To' number {phone} is bad"))

    sender.send([message_id, refused_id])

    body = get_cipher().decrypt(rows.message(message_id).body_encrypted or "")
    assert "handed to the provider" in caplog.text
    assert "message failed" in caplog.text
    for secret in (rows.phones[invitation.participant_id], phone, body, invitation.token):
        assert secret not in caplog.text
    for record in caplog.records:
        assert phone not in str(record.__dict__)


def sweep(sender: Sender, *, later: timedelta = timedelta(0)) -> dict[Settled, int]:
    outcomes = sweep_in_flight(
        transaction=session_scope,
        channels=[SmsChannel(sender.provider)],
        settings=sender.settings,
        now=utcnow() + later,
    )
    assert outcomes is not None
    return dict(outcomes)


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 24, 36), (2, 48, 72), (5, 384, 576), (8, 2880, 3600), (40, 2880, 3600)],
)
def test_the_backoff_doubles_with_jitter_up_to_an_hour(attempts: int, low: int, high: int) -> None:
    for draw in (0.0, 0.5, 0.999):
        delay = retry_delay(attempts, jitter=functools.partial(float, draw))
        assert timedelta(seconds=low) <= delay <= timedelta(seconds=high)


def test_a_message_may_wait_at_the_provider_until_the_event_starts() -> None:
    now = utcnow()
    assert validity_period(None, now) is None
    assert validity_period(now + timedelta(hours=2), now) == 7200
    assert validity_period(now + timedelta(hours=10), now) is None  # Twilio's maximum anyway
    assert validity_period(now + timedelta(hours=11), now) is None
    assert validity_period(now - timedelta(seconds=5), now) == 1
