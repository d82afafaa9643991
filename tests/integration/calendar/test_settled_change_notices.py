"""Several edits within the settle window: one notice per person, naming what changed."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import time, timedelta

import pytest
import time_machine

from birge_api.events.schemas import EventUpdate
from birge_api.events.service import update_event
from birge_api.invitations.service import approve_batch
from birge_shared.db import session_scope
from birge_shared.models import (
    BatchStatus,
    Event,
    InvitationBatch,
    Language,
    MessageChannel,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import EventChanged, SmsSend
from birge_workers.notifications.tasks import event_changed
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.outbound.tasks import email_send
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.fake import FakeSmsProvider
from tests.integration.calendar.conftest import CalendarRows, Mailbox


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


def edit(rows: CalendarRows, event: Event, data: EventUpdate) -> None:
    actor = rows.admin()
    with rows.fresh() as session:
        update_event(
            session=session, actor=actor, settings=get_settings(), event_id=event.id, data=data
        )
        session.commit()


def test_three_edits_within_the_window_send_one_notice_per_person_naming_them(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event(title={"ru": "Плов вместе", "en": "Plov together", "ky": "Бирге палоо"})
    people = [
        *rows.invited(event, 1, language=Language.RU),
        *rows.invited(event, 1, language=Language.EN),
        *rows.invited(event, 1, language=Language.KY),
    ]
    settle = timedelta(minutes=get_settings().change_notice_settle_minutes)
    first_edit = utcnow()
    new_start = event.starts_at + timedelta(days=1)
    with time_machine.travel(first_edit, tick=True):
        edit(rows, event, EventUpdate(starts_at=new_start, ends_at=new_start + timedelta(hours=2)))
    with time_machine.travel(first_edit + timedelta(minutes=3), tick=True):
        edit(
            rows, event, EventUpdate.model_validate({"venue": {"name": "Ала-Тоо", "address": "1"}})
        )
    with time_machine.travel(first_edit + timedelta(minutes=6), tick=True):
        later = new_start + timedelta(hours=1)
        edit(rows, event, EventUpdate(starts_at=later, ends_at=later + timedelta(hours=2)))

    changes = rows.outbox(EventChanged, take=False)
    assert [entry.payload["sequence"] for entry in changes] == [1, 2, 3]
    # Each is due when its own edit has settled: the last one ten minutes after the last edit.
    assert changes[-1].available_at >= first_edit + timedelta(minutes=6) + settle
    with time_machine.travel(changes[-1].available_at + timedelta(seconds=1), tick=True):
        outcomes = [event_changed(**entry.payload) for entry in rows.outbox(EventChanged)]
    assert outcomes == ["superseded", "superseded", "notified"]

    sms = rows.messages(event, channel=MessageChannel.SMS, purpose="event_changed")
    assert Counter(message.invitation_id for message in sms) == Counter(
        {invitation.id: 1 for invitation in people}
    )
    with rows.fresh() as session:
        (batch,) = session.query(InvitationBatch).filter_by(event_id=event.id).all()
        assert batch.kind.value == "change_notice"
        assert batch.changes == ["time", "place"]

    provider = FakeSmsProvider()
    assert send_sms(rows, provider) == Counter({Outcome.SENT: 3})
    texts = sorted(call.body for call in provider.sent)
    assert any("Plov together has changed (time, place). Now: " in text for text in texts)
    assert any("«Плов вместе» изменилось (время, место)" in text for text in texts)
    assert any("«Бирге палоо» өзгөрдү (убактысы, орду)" in text for text in texts)

    # The updated calendar e-mail names the same changes, once per person.
    for message_ids in rows.email_sends():
        email_send(message_ids)
    bodies = []
    for message in smtp.received:
        plain = message.get_body(preferencelist=("plain",))
        assert plain is not None
        bodies.append(plain.get_content())
    assert len(bodies) == len(people)
    assert any("(время, место)" in body for body in bodies)
    assert any("(time, place)" in body for body in bodies)
    assert any("(убактысы, орду)" in body for body in bodies)


def test_an_edit_undone_within_the_window_notifies_nobody(rows: CalendarRows) -> None:
    event = rows.event()
    rows.invited(event, 2)
    original = event.starts_at
    moved = original + timedelta(days=1)
    edit(rows, event, EventUpdate(starts_at=moved, ends_at=moved + timedelta(hours=2)))
    edit(rows, event, EventUpdate(starts_at=original, ends_at=original + timedelta(hours=2)))

    entries = rows.outbox(EventChanged, take=False)
    with time_machine.travel(entries[-1].available_at + timedelta(seconds=1), tick=True):
        outcomes = [event_changed(**entry.payload) for entry in rows.outbox(EventChanged)]

    assert outcomes == ["superseded", "unchanged"]
    assert rows.messages(event, purpose="event_changed") == []
    assert rows.outbox(SmsSend) == []


def test_a_change_notice_past_the_budget_waits_for_approval_then_goes_once(
    rows: CalendarRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = rows.event()
    rows.invited(event, 2)
    moved = event.starts_at + timedelta(days=1)
    edit(rows, event, EventUpdate(starts_at=moved, ends_at=moved + timedelta(hours=2)))
    monkeypatch.setenv("SMS_DAILY_SEGMENT_BUDGET", "1")
    get_settings.cache_clear()
    try:
        (entry,) = rows.outbox(EventChanged)
        with time_machine.travel(entry.available_at + timedelta(seconds=1), tick=True):
            assert event_changed(**entry.payload) == "held"
        assert rows.outbox(SmsSend) == []
        assert rows.email_sends() == []
        with rows.fresh() as session:
            (batch,) = session.query(InvitationBatch).filter_by(event_id=event.id).all()
            assert batch.status is BatchStatus.AWAITING_APPROVAL
            assert batch.changes == ["time"]

        actor = rows.admin()
        with rows.fresh() as session:
            approved = approve_batch(
                session=session, actor=actor, event_id=event.id, batch_id=batch.id
            )
            session.commit()
        assert approved.status == "queued"
        (send,) = rows.outbox(SmsSend)
        sms = rows.messages(event, channel=MessageChannel.SMS, purpose="event_changed")
        assert sorted(send.payload["message_ids"]) == sorted(str(m.id) for m in sms)
        assert len(rows.email_sends()) == 1
    finally:
        get_settings.cache_clear()
