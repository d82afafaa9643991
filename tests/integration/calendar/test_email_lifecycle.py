"""An invitation, its update and its cancellation, e-mailed through a real SMTP server.

Everything runs as the workers run it: the events service writes the outbox rows, the task
functions are called with the payloads the relay would publish, and `email.send` talks SMTP to
aiosmtpd on 127.0.0.1. What arrives is parsed with the standard library (MIME) and vobject
(iCalendar), not with the code that wrote it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from birge_api.events.schemas import EventUpdate
from birge_api.events.service import cancel_event, update_event
from birge_shared.invitations import Answer, respond
from birge_shared.models import (
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
    MessageChannel,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import EventCancelled, EventChanged, SmsSend
from birge_workers.notifications.tasks import event_changed
from birge_workers.outbound.tasks import email_send
from birge_workers.tasks import event_cancelled
from tests.integration.calendar.conftest import (
    REPLY_ADDRESS,
    CalendarRows,
    Mailbox,
    calendar_of,
    queue_invitation_emails,
)

ADDRESS = "aigul@example.org"


def send_queued(rows: CalendarRows) -> dict[str, int]:
    """Run every queued `email.send`, as workers would; sum what they report."""
    total: dict[str, int] = {}
    for message_ids in rows.email_sends():
        for key, count in email_send(message_ids).items():
            total[key] = total.get(key, 0) + count
    return total


def test_invitation_update_and_cancellation_arrive_as_one_calendar_entry(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event(title={"ru": "Футбол вместе", "en": "Football together"})
    participant = rows.participant(email=ADDRESS, language=Language.EN, name="Aigul T.")
    with rows.fresh() as session:
        invitation = Invitation(
            event_id=event.id, participant_id=participant.id, status=InvitationStatus.PLANNED
        )
        session.add(invitation)
        session.flush()
        # What the fan-out does for each chunk of planned invitations.
        planned = queue_invitation_emails(session=session, invitation_ids=[invitation.id])
        session.commit()
    assert len(planned) == 1
    assert send_queued(rows) == {"sent": 1}

    # The participant accepts (page and SMS replies both go through `respond`).
    with rows.fresh() as session:
        respond(session=session, invitation_id=invitation.id, answer=Answer.ACCEPT)
        session.commit()

    # The coordinator moves the event by a day: one outbox row, due when the edit has settled.
    actor = rows.admin()
    new_start = event.starts_at + timedelta(days=1)
    with rows.fresh() as session:
        update_event(
            session=session,
            actor=actor,
            settings=get_settings(),
            event_id=event.id,
            data=EventUpdate(starts_at=new_start, ends_at=new_start + timedelta(hours=2)),
        )
        session.commit()
    (change,) = rows.outbox(EventChanged)
    assert change.payload == {"event_id": str(event.id), "sequence": 1}
    settle = timedelta(minutes=get_settings().change_notice_settle_minutes)
    assert abs(change.available_at - change.created_at - settle) < timedelta(seconds=1)
    assert event_changed(**change.payload) == "notified"
    assert send_queued(rows)["sent"] == 1

    # The coordinator cancels it.
    with rows.fresh() as session:
        cancel_event(session=session, actor=actor, event_id=event.id)
        session.commit()
    (cancellation,) = rows.outbox(EventCancelled)
    assert event_cancelled(**cancellation.payload) == 1
    assert send_queued(rows)["sent"] == 1

    received = smtp.to(ADDRESS)
    assert len(received) == 3
    files = [calendar_of(message) for message in received]
    # The MIME `method` parameter says what the file inside says.
    assert [param for param, _ in files] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [read.method for _, read in files] == ["REQUEST", "REQUEST", "CANCEL"]
    vevents = [read.calendar.vevent for _, read in files]
    assert len({vevent.uid.value for vevent in vevents}) == 1
    sequences = [int(vevent.sequence.value) for vevent in vevents]
    assert sequences == [0, 1, 2]
    assert vevents[0].dtstart.value == event.starts_at
    assert vevents[1].dtstart.value == new_start
    assert [vevent.status.value for vevent in vevents] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    for _, read in files:
        assert read.tzids_used
        assert read.tzids_used <= read.tzids_defined
    for vevent in vevents:
        # Answers go to the reply mailbox, which Birge reads; the cancellation asks for none.
        assert vevent.organizer.value == f"mailto:{REPLY_ADDRESS}"
        assert vevent.attendee.value == f"mailto:{ADDRESS}"
    assert [vevent.attendee.params["RSVP"] for vevent in vevents] == [["TRUE"], ["TRUE"], ["FALSE"]]
    # The answer given after the first e-mail shows in the next one.
    assert vevents[0].attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert vevents[1].attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert [m["Subject"] for m in received] == [
        "Invitation: Football together",
        "Updated: Football together",
        "Cancelled: Football together",
    ]
    assert {sender for sender, _ in smtp.envelopes} == {"no-reply@birge.kg"}

    # Each notice also planned its SMS, queued for `sms.send`.
    sms = rows.messages(event, channel=MessageChannel.SMS)
    assert sorted(message.purpose for message in sms) == ["event_cancelled", "event_changed"]
    assert len(rows.outbox(SmsSend)) == 2
    # Nothing is sent twice when the tasks are delivered again.
    assert event_changed(**change.payload) == "not_scheduled"
    assert event_cancelled(**cancellation.payload) == 0
    assert rows.email_sends() == []
    email_ids = [str(m.id) for m in rows.messages(event, channel=MessageChannel.EMAIL)]
    assert email_send(email_ids).get("sent", 0) == 0
    assert len(smtp.received) == 3


def test_a_decline_stops_updates_and_accepting_again_shows_in_the_next_one(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    # No mix band, so accepting again after a decline gets the seat back.
    event = rows.event(min_share=0.0)
    (invitation,) = rows.invited(event, 1, status=InvitationStatus.SENT)
    with rows.fresh() as session:
        respond(session=session, invitation_id=invitation.id, answer=Answer.ACCEPT)
        session.commit()
        respond(session=session, invitation_id=invitation.id, answer=Answer.DECLINE)
        session.commit()
        # Declined: no update is owed to this person any more.
        event_row = session.get(type(event), event.id)
        assert event_row is not None
        event_row.sequence += 1
        session.commit()
    assert event_changed(event_id=str(event.id), sequence=1) == "notified"
    assert rows.email_sends() == []

    # Answering yes again brings them back among those told.
    with rows.fresh() as session:
        respond(session=session, invitation_id=invitation.id, answer=Answer.ACCEPT)
        event_row = session.get(type(event), event.id)
        assert event_row is not None
        event_row.sequence += 1
        session.commit()
    assert event_changed(event_id=str(event.id), sequence=2) == "notified"
    send_queued(rows)
    (message,) = smtp.received
    _, read = calendar_of(message)
    assert read.calendar.vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert read.calendar.vevent.sequence.value == "2"


def test_people_who_cannot_be_written_to_get_nothing(rows: CalendarRows, smtp: Mailbox) -> None:
    event = rows.event()
    with_email, opted_out, without_email = rows.invited(event, 3)
    with rows.fresh() as session:
        person = session.get(Participant, opted_out.participant_id)
        assert person is not None
        person.opted_out_at = utcnow()
        person = session.get(Participant, without_email.participant_id)
        assert person is not None
        person.email_encrypted = None
        person.email_hash = None
        event_row = session.get(type(event), event.id)
        assert event_row is not None
        event_row.sequence = 1
        session.commit()

    assert event_changed(event_id=str(event.id), sequence=1) == "notified"
    emails = rows.messages(event, channel=MessageChannel.EMAIL)
    sms = rows.messages(event, channel=MessageChannel.SMS)
    assert [m.invitation_id for m in emails] == [with_email.id]
    assert {m.invitation_id for m in sms} == {with_email.id, without_email.id}
    assert send_queued(rows)["sent"] == 1
    assert len(smtp.received) == 1


def test_an_email_planned_before_an_opt_out_is_skipped(rows: CalendarRows, smtp: Mailbox) -> None:
    event = rows.event()
    (invitation,) = rows.invited(event, 1, status=InvitationStatus.PLANNED)
    with rows.fresh() as session:
        (message_id,) = queue_invitation_emails(session=session, invitation_ids=[invitation.id])
        session.commit()
    with rows.fresh() as session:
        person = session.get(Participant, invitation.participant_id)
        assert person is not None
        person.opted_out_at = utcnow()
        session.commit()

    assert send_queued(rows) == {"skipped": 1}
    message = rows.message(message_id)
    assert message.status is MessageStatus.SKIPPED
    assert message.error_reason == "the participant opted out"
    assert smtp.received == []


def test_an_invitation_email_is_planned_once_per_sequence(rows: CalendarRows) -> None:
    event = rows.event()
    (invitation,) = rows.invited(event, 1, status=InvitationStatus.PLANNED)
    with rows.fresh() as session:
        first = queue_invitation_emails(session=session, invitation_ids=[invitation.id])
        again = queue_invitation_emails(session=session, invitation_ids=[invitation.id])
        session.commit()
    assert len(first) == 1
    assert again == []
    (message,) = rows.messages(event, channel=MessageChannel.EMAIL)
    assert message.dedupe_key == f"invitation:{invitation.id}:email:invitation:0"
    assert message.purpose == "invitation"
    assert message.body_encrypted is None  # nothing personal is stored before sending


def test_a_change_for_an_unknown_event_is_ignored() -> None:
    assert event_changed(event_id=str(uuid.uuid4()), sequence=1) == "unknown_event"


def test_a_cancelled_event_gets_no_change_notice(rows: CalendarRows) -> None:
    event = rows.event()
    rows.invited(event, 1)
    with rows.fresh() as session:
        event_row = session.get(type(event), event.id)
        assert event_row is not None
        event_row.status = EventStatus.CANCELLED
        event_row.sequence = 1
        session.commit()
    assert event_changed(event_id=str(event.id), sequence=1) == "not_scheduled"
    assert rows.messages(event) == []
