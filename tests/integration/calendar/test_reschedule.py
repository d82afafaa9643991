"""Rescheduling an event with 300 accepted participants: 300 e-mails and 300 SMS, once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from birge_api.events.schemas import EventUpdate
from birge_api.events.service import update_event
from birge_shared.models import Event, MessageChannel, MessageStatus
from birge_shared.settings import get_settings
from birge_shared.tasks import EventChanged, SmsSend
from birge_workers.notifications.tasks import event_changed
from birge_workers.outbound.tasks import email_send
from tests.integration.calendar.conftest import CalendarRows, Mailbox, calendar_of

PEOPLE = 300


def move(rows: CalendarRows, event: Event, by: timedelta) -> Event:
    actor = rows.admin()
    with rows.fresh() as session:
        current = session.get(Event, event.id)
        assert current is not None
        start = current.starts_at + by
        changed = update_event(
            session=session,
            actor=actor,
            settings=get_settings(),
            event_id=event.id,
            data=EventUpdate(starts_at=start, ends_at=start + timedelta(hours=2)),
        )
        session.commit()
        return changed


def run_change_rows(rows: CalendarRows) -> list[str]:
    """Run every queued `events.changed`, in order, as the relay would publish them."""
    return [event_changed(**entry.payload) for entry in rows.outbox(EventChanged)]


def send_all(rows: CalendarRows) -> Counter[str]:
    total: Counter[str] = Counter()
    for message_ids in rows.email_sends():
        total.update(email_send(message_ids))
    return total


def test_three_hundred_accepted_people_hear_of_a_new_time_once(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event(capacity=PEOPLE)
    rows.invited(event, PEOPLE)
    moved = move(rows, event, timedelta(days=1))
    assert moved.sequence == 1

    (change,) = rows.outbox(EventChanged, take=False)
    assert run_change_rows(rows) == ["notified"]
    # Delivered again (a relay that crashed before stamping it): nothing new is planned.
    assert event_changed(**change.payload) == "notified"

    emails = rows.messages(event, channel=MessageChannel.EMAIL, purpose="event_changed")
    sms = rows.messages(event, channel=MessageChannel.SMS, purpose="event_changed")
    assert len(emails) == PEOPLE
    assert len(sms) == PEOPLE
    assert len({message.invitation_id for message in sms}) == PEOPLE
    queued_sms = [
        message_id for entry in rows.outbox(SmsSend) for message_id in entry.payload["message_ids"]
    ]
    assert sorted(queued_sms) == sorted(str(message.id) for message in sms)

    sends = rows.email_sends()
    assert sum(len(chunk) for chunk in sends) == PEOPLE
    outcome: Counter[str] = Counter()
    for chunk in sends:
        outcome.update(email_send(chunk))
        # The same chunk delivered twice sends nothing more.
        assert email_send(chunk).get("sent", 0) == 0
    assert outcome["sent"] == PEOPLE
    assert len(smtp.received) == PEOPLE
    assert len({message["To"].addresses[0].addr_spec for message in smtp.received}) == PEOPLE
    assert all(
        message.status is MessageStatus.SENT
        for message in rows.messages(event, channel=MessageChannel.EMAIL)
    )

    for message in smtp.received:
        method, read = calendar_of(message)
        assert method == read.method == "REQUEST"
        vevent = read.calendar.vevent
        assert vevent.uid.value == f"{event.id}@birge.kg"
        assert vevent.sequence.value == "1"
        assert vevent.dtstart.value == moved.starts_at
        assert vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]


def test_quick_edits_notify_once_with_the_final_state(rows: CalendarRows, smtp: Mailbox) -> None:
    event = rows.event(capacity=20)
    rows.invited(event, 20)
    for hours in (1, 1, 1):
        final = move(rows, event, timedelta(hours=hours))
    assert final.sequence == 3

    # Three rows; the first two find a later sequence and stand down.
    assert run_change_rows(rows) == ["superseded", "superseded", "notified"]
    assert len(rows.messages(event, channel=MessageChannel.SMS)) == 20
    assert send_all(rows)["sent"] == 20
    assert len(smtp.received) == 20
    for message in smtp.received:
        vevent = calendar_of(message)[1].calendar.vevent
        assert vevent.sequence.value == "3"
        assert vevent.dtstart.value == final.starts_at
