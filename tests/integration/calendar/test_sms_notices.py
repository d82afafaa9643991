"""The change and cancellation SMS, sent by the SMS pipeline with the event as it is then."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import time, timedelta

from birge_shared.db import session_scope
from birge_shared.event_changes import notifying_snapshot
from birge_shared.models import Event, EventStatus, Language, MessageChannel, MessageStatus, utcnow
from birge_shared.settings import get_settings
from birge_shared.sms.render import local_date, local_time
from birge_shared.tasks import EventCancelled, SmsSend
from birge_workers.notifications.tasks import event_changed
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.fake import FakeSmsProvider
from birge_workers.tasks import event_cancelled
from tests.integration.calendar.conftest import CalendarRows


def send_sms(rows: CalendarRows, provider: FakeSmsProvider) -> Counter[Outcome]:
    # No quiet hours, so the test does not depend on the hour it runs at in Bishkek.
    settings = get_settings().model_copy(
        update={"quiet_hours_start": time(0), "quiet_hours_end": time(0)}
    )
    total: Counter[Outcome] = Counter()
    for entry in rows.outbox(SmsSend):
        total += send_chunk(
            message_ids=[uuid.UUID(value) for value in entry.payload["message_ids"]],
            transaction=session_scope,
            channel=SmsChannel(provider),
            pacer=LocalTokenBucket(1000, capacity=1000),
            settings=settings,
        )
    return total


def test_changed_and_cancelled_texts_show_the_event_as_it_is(rows: CalendarRows) -> None:
    event = rows.event(title={"ru": "Плов вместе", "en": "Plov together"})
    russian, english = (
        rows.invited(event, 1, language=Language.RU)[0],
        rows.invited(event, 1, language=Language.EN)[0],
    )
    new_start = event.starts_at + timedelta(days=2)
    with rows.fresh() as session:
        row = session.get(Event, event.id)
        assert row is not None
        # What the events service keeps: the event as participants last heard of it.
        row.change_base = notifying_snapshot(row)
        row.starts_at, row.ends_at = new_start, new_start + timedelta(hours=2)
        row.sequence = 1
        session.commit()
    assert event_changed(event_id=str(event.id), sequence=1) == "notified"

    provider = FakeSmsProvider()
    assert send_sms(rows, provider) == Counter({Outcome.SENT: 2})
    by_person = {call.to: call.body for call in provider.sent}
    zone = "Asia/Bishkek"
    texts = sorted(by_person.values())
    assert any(
        text.startswith("Birge: Plov together has changed (time). Now: ")
        and local_date(new_start, zone, Language.EN) in text
        and local_time(new_start, zone) in text
        for text in texts
    )
    assert any(
        "«Плов вместе» изменилось (время)" in text
        and local_date(new_start, zone, Language.RU) in text
        for text in texts
    )
    assert all("/p/" in text for text in texts)

    with rows.fresh() as session:
        row = session.get(Event, event.id)
        assert row is not None
        row.status = EventStatus.CANCELLED
        row.cancelled_at = utcnow()
        row.sequence = 2
        session.commit()
    assert event_cancelled(**EventCancelled(event_id=event.id).model_dump(mode="json")) == 2
    cancel_sms = rows.messages(event, channel=MessageChannel.SMS, purpose="event_cancelled")
    assert {message.invitation_id for message in cancel_sms} == {russian.id, english.id}

    provider = FakeSmsProvider()
    assert send_sms(rows, provider) == Counter({Outcome.SENT: 2})
    texts = sorted(call.body for call in provider.sent)
    assert any("Plov together on" in text and "is cancelled" in text for text in texts)
    assert any("«Плов вместе»" in text and "отменено" in text for text in texts)
    assert all(
        message.status is MessageStatus.QUEUED
        for message in rows.messages(event, channel=MessageChannel.SMS)
    )
