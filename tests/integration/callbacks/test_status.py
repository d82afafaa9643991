"""Delivery reports move a message forward only, and a failed invitation frees its seat."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import (
    Community,
    InvitationStatus,
    Message,
    MessageStatus,
    ProviderCallback,
)
from birge_workers.callbacks.process import CallbackOutcome
from birge_workers.callbacks.status import StatusOutcome, apply_status, moves_forward
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.callbacks.conftest import (
    new_sid,
    outbound,
    process,
    queued_for_sending,
    sent_message,
    status_callback,
)

S = MessageStatus


def _report(db: Session, message: Message, status: str, error_code: str | None = None) -> None:
    callback = status_callback(db, message.provider_sid or "", status, error_code)
    assert process(db, callback) is CallbackOutcome.PROCESSED
    assert callback.processed_at is not None
    db.refresh(message)


def test_sent_then_delivered_moves_the_message_forward(db: Session) -> None:
    message = sent_message(db, participant=make_participant(db))

    _report(db, message, "sent")
    assert (message.status, message.delivered_at) == (S.SENT, None)
    assert message.sent_at is not None

    _report(db, message, "delivered")
    assert message.status is S.DELIVERED
    assert message.delivered_at is not None


def test_delivered_before_sent_stays_delivered(db: Session) -> None:
    message = sent_message(db, participant=make_participant(db))

    _report(db, message, "delivered")
    delivered_at = message.delivered_at
    _report(db, message, "sent")
    _report(db, message, "queued")

    assert message.status is S.DELIVERED
    assert message.delivered_at == delivered_at


def test_failed_after_delivered_is_ignored(db: Session) -> None:
    participant = make_participant(db)
    event = make_event(db)
    invitation = make_invitation(db, event=event, participant=participant)
    message = sent_message(db, participant=participant, invitation=invitation)

    _report(db, message, "delivered")
    _report(db, message, "failed", "30003")

    assert message.status is S.DELIVERED
    assert message.error_code is None
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.SENT


def test_undelivered_after_sent_is_applied_with_a_readable_reason(db: Session) -> None:
    message = sent_message(db, participant=make_participant(db), purpose="reminder")

    _report(db, message, "sent")
    _report(db, message, "undelivered", "30005")
    _report(db, message, "delivered")  # a final status is never replaced

    assert message.status is S.UNDELIVERED
    assert message.error_code == "30005"
    assert message.error_reason is not None
    assert "unknown destination" in message.error_reason


@pytest.mark.parametrize(
    ("current", "reported", "expected"),
    [
        (S.SENDING, S.QUEUED, True),
        (S.QUEUED, S.SENT, True),
        (S.SENT, S.QUEUED, False),
        (S.SENT, S.SENT, False),
        (S.QUEUED, S.FAILED, True),
        (S.SENT, S.UNDELIVERED, True),
        (S.DELIVERED, S.FAILED, False),
        (S.FAILED, S.DELIVERED, False),
        (S.UNDELIVERED, S.SENT, False),
        (S.SKIPPED, S.SENT, False),
    ],
)
def test_only_forward_moves_are_allowed(
    current: MessageStatus, reported: MessageStatus, expected: bool
) -> None:
    assert moves_forward(current, reported) is expected


def test_the_same_failure_report_three_times_has_one_effect(db: Session) -> None:
    event = make_event(db, capacity=2, min_share=0.0)
    host = make_participant(db)
    invitation = make_invitation(db, event=event, participant=host)
    make_invitation(db, event=event, participant=make_participant(db))
    waiting = [
        make_invitation(
            db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
        )
        for _ in range(2)
    ]
    message = sent_message(db, participant=host, invitation=invitation)

    # Delivered three times to the webhook: one row, so one callback to process.
    first = status_callback(db, message.provider_sid or "", "failed", "30003")
    status_callback(db, message.provider_sid or "", "failed", "30003")
    status_callback(db, message.provider_sid or "", "failed", "30003")
    rows = db.scalar(
        select(func.count())
        .select_from(ProviderCallback)
        .where(ProviderCallback.message_sid == message.provider_sid)
    )
    assert rows == 1
    # Published three times by the relay (at least once): processed once.
    outcomes = [process(db, first) for _ in range(3)]
    assert outcomes == [
        CallbackOutcome.PROCESSED,
        CallbackOutcome.ALREADY_PROCESSED,
        CallbackOutcome.ALREADY_PROCESSED,
    ]

    # Exactly one seat was freed, so exactly one waiting person was invited.
    for row in waiting:
        db.refresh(row)
    assert sorted(row.status for row in waiting) == [
        InvitationStatus.PLANNED,
        InvitationStatus.WAITLISTED,
    ]


def test_a_failed_invitation_gives_its_seat_to_the_waitlist(db: Session) -> None:
    event = make_event(db, capacity=2, min_share=0.5)
    migrant = make_participant(db, community=Community.MIGRANT)
    invitation = make_invitation(db, event=event, participant=migrant)
    make_invitation(db, event=event, participant=make_participant(db))
    waiting_host = make_invitation(
        db, event=event, participant=make_participant(db), status=InvitationStatus.WAITLISTED
    )
    waiting_migrant_person = make_participant(db, community=Community.MIGRANT)
    waiting_migrant = make_invitation(
        db, event=event, participant=waiting_migrant_person, status=InvitationStatus.WAITLISTED
    )
    message = sent_message(db, participant=migrant, invitation=invitation)

    _report(db, message, "failed", "30006")

    assert message.status is S.FAILED
    assert message.error_code == "30006"
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.FAILED
    assert invitation.closed_reason is not None
    assert "landline" in invitation.closed_reason
    # The mix band keeps the seat for the waiting migrant, not the host who waited too.
    db.refresh(waiting_migrant)
    db.refresh(waiting_host)
    assert waiting_migrant.status is InvitationStatus.PLANNED
    assert waiting_host.status is InvitationStatus.WAITLISTED
    [planned] = outbound(db, waiting_migrant_person)
    assert (planned.purpose, planned.status) == ("invitation", S.PLANNED)
    assert queued_for_sending(db, planned) == 1


def test_a_failure_after_the_invitation_was_answered_keeps_the_answer(db: Session) -> None:
    participant = make_participant(db)
    invitation = make_invitation(
        db, event=make_event(db), participant=participant, status=InvitationStatus.ACCEPTED
    )
    message = sent_message(db, participant=participant, invitation=invitation)

    _report(db, message, "undelivered", "30008")

    assert message.status is S.UNDELIVERED
    db.refresh(invitation)
    assert invitation.status is InvitationStatus.ACCEPTED


def test_unsubscribed_at_the_carrier_opts_the_participant_out(db: Session) -> None:
    participant = make_participant(db)
    message = sent_message(db, participant=participant)

    _report(db, message, "failed", "21610")

    db.refresh(participant)
    assert participant.opted_out_at is not None
    assert message.error_reason == "the recipient has unsubscribed (replied STOP)"


def test_a_report_for_an_unknown_message_is_marked_processed(db: Session) -> None:
    callback = status_callback(db, new_sid(), "delivered")
    assert apply_status(session=db, callback=callback) is StatusOutcome.UNKNOWN_MESSAGE
    assert process(db, callback) is CallbackOutcome.PROCESSED
    assert callback.processed_at is not None


def test_an_unknown_status_name_changes_nothing(db: Session) -> None:
    message = sent_message(db, participant=make_participant(db))
    _report(db, message, "partially_delivered")
    assert message.status is S.QUEUED
