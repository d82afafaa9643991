"""Answers, expiries and the waitlist, against PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.invitations import (
    Answer,
    RsvpClosedError,
    answer_deadline,
    expire_due,
    held_seats,
    latest_answerable,
    respond,
)
from birge_shared.models import (
    Community,
    EventStatus,
    InvitationStatus,
    Message,
    MessageStatus,
    OutboxEntry,
)
from tests.factories import make_event, make_invitation, make_participant

HOST, MIGRANT = Community.HOST, Community.MIGRANT
SENT, WAITLISTED = InvitationStatus.SENT, InvitationStatus.WAITLISTED


def test_accepting_twice_changes_nothing_the_second_time(db: Session) -> None:
    event = make_event(db)
    invitation = make_invitation(db, event=event, participant=make_participant(db))
    first = respond(session=db, invitation_id=invitation.id, answer=Answer.ACCEPT)
    second = respond(session=db, invitation_id=invitation.id, answer=Answer.ACCEPT)
    assert first.changed
    assert not second.changed
    assert invitation.status is InvitationStatus.ACCEPTED


def test_a_decline_gives_the_seat_to_the_next_waiting_person_who_fits_the_band(
    db: Session,
) -> None:
    event = make_event(db, capacity=4, min_share=0.5)
    sent = {
        "host1": make_invitation(db, event=event, participant=make_participant(db)),
        "host2": make_invitation(db, event=event, participant=make_participant(db)),
        "migrant1": make_invitation(
            db, event=event, participant=make_participant(db, community=MIGRANT)
        ),
        "migrant2": make_invitation(
            db, event=event, participant=make_participant(db, community=MIGRANT)
        ),
    }
    waiting_host = make_invitation(
        db, event=event, participant=make_participant(db), status=WAITLISTED
    )
    waiting_migrant = make_invitation(
        db, event=event, participant=make_participant(db, community=MIGRANT), status=WAITLISTED
    )

    outcome = respond(session=db, invitation_id=sent["migrant1"].id, answer=Answer.DECLINE)

    assert outcome.refill is not None
    assert [inv.id for inv in outcome.refill.invited] == [waiting_migrant.id]
    assert waiting_migrant.status is InvitationStatus.PLANNED
    assert waiting_host.status is WAITLISTED
    held = held_seats(db, event.id)
    assert (held.host, held.migrant) == (2, 2)
    # The new invitation's SMS is planned once and queued through the outbox.
    messages = db.scalars(select(Message).where(Message.invitation_id == waiting_migrant.id)).all()
    assert [(m.purpose, m.status) for m in messages] == [("invitation", MessageStatus.PLANNED)]
    queued = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "sms.send")).all()
    assert any(row.payload == {"message_ids": [str(messages[0].id)]} for row in queued)


def test_when_nobody_waiting_fits_the_seat_stays_open_with_a_reason(db: Session) -> None:
    event = make_event(db, capacity=2, min_share=0.5)
    make_invitation(db, event=event, participant=make_participant(db))
    migrant = make_invitation(db, event=event, participant=make_participant(db, community=MIGRANT))
    make_invitation(db, event=event, participant=make_participant(db), status=WAITLISTED)

    outcome = respond(session=db, invitation_id=migrant.id, answer=Answer.DECLINE)

    assert outcome.refill is not None
    assert outcome.refill.invited == []
    assert outcome.refill.open_seats == 1
    assert outcome.refill.reason == "the mix needs a migrant participant and none is waiting"


def test_opted_out_people_on_the_waitlist_are_passed_over(db: Session) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    declining = make_invitation(db, event=event, participant=make_participant(db))
    gone = make_participant(db)
    gone.opted_out_at = datetime.now(UTC)
    make_invitation(db, event=event, participant=gone, status=WAITLISTED)
    outcome = respond(session=db, invitation_id=declining.id, answer=Answer.DECLINE)
    assert outcome.refill is not None
    assert outcome.refill.invited == []


def test_changing_your_mind_after_declining_takes_a_free_seat_or_waits(db: Session) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    first = make_invitation(db, event=event, participant=make_participant(db))
    respond(session=db, invitation_id=first.id, answer=Answer.DECLINE)
    second = make_invitation(db, event=event, participant=make_participant(db))
    assert respond(session=db, invitation_id=first.id, answer=Answer.ACCEPT).invitation.status is (
        WAITLISTED
    )
    respond(session=db, invitation_id=second.id, answer=Answer.DECLINE)
    again = respond(session=db, invitation_id=first.id, answer=Answer.ACCEPT)
    assert again.invitation.status is InvitationStatus.ACCEPTED


def test_answers_close_when_the_event_is_cancelled_or_has_started(db: Session) -> None:
    cancelled = make_event(db)
    invitation = make_invitation(db, event=cancelled, participant=make_participant(db))
    cancelled.status = EventStatus.CANCELLED
    db.flush()
    with pytest.raises(RsvpClosedError):
        respond(session=db, invitation_id=invitation.id, answer=Answer.ACCEPT)

    started = make_event(db, starts_in=timedelta(minutes=-5))
    late = make_invitation(db, event=started, participant=make_participant(db))
    with pytest.raises(RsvpClosedError):
        respond(session=db, invitation_id=late.id, answer=Answer.ACCEPT)


def test_deadline_is_the_sooner_of_48_hours_and_a_day_before_the_event_but_never_hasty() -> None:
    sent = datetime(2026, 12, 1, 10, tzinfo=UTC)
    rule = partial(
        answer_deadline,
        within=timedelta(hours=48),
        before_event=timedelta(hours=24),
        min_window=timedelta(hours=2),
    )
    far = sent + timedelta(days=10)
    assert rule(sent_at=sent, starts_at=far) == sent + timedelta(hours=48)
    near = sent + timedelta(hours=30)
    assert rule(sent_at=sent, starts_at=near) == sent + timedelta(hours=6)
    # Sent less than a day before: the person still gets the two-hour window...
    soon = sent + timedelta(hours=5)
    assert rule(sent_at=sent, starts_at=soon) == sent + timedelta(hours=2)
    # ...cut only by the start, never past it.
    very_soon = sent + timedelta(minutes=50)
    assert rule(sent_at=sent, starts_at=very_soon) == very_soon
    # The event's own deadline replaces the rule, under the same floor.
    answer_by = far - timedelta(days=3)
    assert rule(sent_at=sent, starts_at=far, answer_by=answer_by) == answer_by
    hasty = sent + timedelta(minutes=10)
    assert rule(sent_at=sent, starts_at=far, answer_by=hasty) == (sent + timedelta(hours=2))


def test_expiry_frees_the_seat_and_refills_it(db: Session) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    silent = make_invitation(db, event=event, participant=make_participant(db))
    silent.sent_at = datetime.now(UTC) - timedelta(hours=3)
    silent.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    waiting = make_invitation(db, event=event, participant=make_participant(db), status=WAITLISTED)
    db.flush()
    assert expire_due(session=db) >= 1
    assert silent.status is InvitationStatus.EXPIRED
    assert silent.closed_reason == "no answer before the deadline"
    assert waiting.status is InvitationStatus.PLANNED


def test_an_sms_reply_answers_the_latest_sent_invitation_of_an_upcoming_event(
    db: Session,
) -> None:
    person = make_participant(db)
    older = make_invitation(db, event=make_event(db), participant=person)
    newer = make_invitation(
        db, event=make_event(db, starts_in=timedelta(days=3)), participant=person
    )
    older.sent_at = datetime.now(UTC) - timedelta(days=2)
    make_invitation(db, event=make_event(db, starts_in=timedelta(hours=-1)), participant=person)
    db.flush()
    assert latest_answerable(db, [person.id]) is newer


def test_someone_invited_from_the_waitlist_also_gets_the_calendar_e_mail(db: Session) -> None:
    event = make_event(db, capacity=1, min_share=0.0)
    declining = make_invitation(db, event=event, participant=make_participant(db))
    waiting = make_invitation(
        db,
        event=event,
        participant=make_participant(db, email="waiting@example.org"),
        status=WAITLISTED,
    )
    respond(session=db, invitation_id=declining.id, answer=Answer.DECLINE)
    channels = sorted(
        message.channel.value
        for message in db.scalars(select(Message).where(Message.invitation_id == waiting.id))
    )
    assert channels == ["email", "sms"]
    queued = db.scalars(select(OutboxEntry).where(OutboxEntry.task_name == "email.send")).all()
    assert any(len(row.payload["message_ids"]) == 1 for row in queued)
