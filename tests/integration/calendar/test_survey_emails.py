"""Survey links by the person's channel: an e-mail to someone with an e-mail address and no
phone, an SMS to someone with a phone, each once, through the one outbound pipeline and a real
SMTP server; the follow-up wave weeks later, and the post-event link."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import time_machine

from birge_shared.crypto import get_cipher
from birge_shared.i18n import gettext_for
from birge_shared.mail.texts import OPEN_SURVEY
from birge_shared.models import (
    Event,
    Invitation,
    InvitationStatus,
    Language,
    MessageChannel,
    Participant,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.sms.render import personal_link
from birge_shared.surveys import SURVEY_FOLLOWUP
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.sms.fake import FakeSmsProvider
from birge_workers.surveys.due import send_due_surveys
from tests.integration.calendar.conftest import CalendarRows, Mailbox
from tests.integration.calendar.test_email_lifecycle import send_queued
from tests.integration.calendar.test_sms_notices import send_sms
from tests.integration.sending.conftest import any_hour_settings

ADDRESS = "only-mail@example.org"


def _attendee(rows: CalendarRows, event: Event, participant: Participant) -> Invitation:
    with rows.fresh() as session:
        invitation = Invitation(
            event_id=event.id, participant_id=participant.id, status=InvitationStatus.ATTENDED
        )
        session.add(invitation)
        session.commit()
        return invitation


def test_the_followup_goes_by_e_mail_without_a_phone_and_by_sms_with_one(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event(title={"ru": "Плов вместе", "en": "Plov together", "ky": "Бирге палоо"})
    ends = utcnow().replace(microsecond=0) - timedelta(hours=1)
    with rows.fresh() as session:
        row = session.get(Event, event.id)
        assert row is not None
        row.starts_at, row.ends_at = ends - timedelta(hours=2), ends
        session.commit()
    by_mail = rows.participant(email=ADDRESS, language=Language.KY, name="Айгуль")
    with rows.fresh() as session:
        row_person = session.get(Participant, by_mail.id)
        assert row_person is not None
        row_person.phone_encrypted = row_person.phone_hash = None
        session.commit()
    by_phone = rows.participant(email="has-a-phone@example.org")
    mailed, texted = _attendee(rows, event, by_mail), _attendee(rows, event, by_phone)

    settings = any_hour_settings()
    due = ends + timedelta(days=get_settings().survey_followup_days, minutes=1)
    with time_machine.travel(due - timedelta(minutes=2), tick=False) as clock:
        with rows.fresh() as session:
            assert send_due_surveys(session=session, now=utcnow(), settings=settings) == 0
            session.commit()
        clock.move_to(due)
        for _ in range(2):  # a second beat plans nothing more
            with rows.fresh() as session:
                send_due_surveys(session=session, now=utcnow(), settings=settings)
                session.commit()

    followups = rows.messages(event, purpose=SURVEY_FOLLOWUP)
    assert sorted((m.invitation_id, m.channel) for m in followups) == sorted(
        [(mailed.id, MessageChannel.EMAIL), (texted.id, MessageChannel.SMS)]
    )

    assert send_queued(rows) == {"sent": 1}
    assert send_queued(rows) == {}
    [mail] = smtp.received
    assert mail["To"].addresses[0].addr_spec == ADDRESS
    assert mail["Content-Language"] == "ky"
    assert not [part for part in mail.walk() if part.get_content_type() == "text/calendar"]
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert personal_link(get_settings().public_base_url, mailed.token) in text
    assert gettext_for(Language.KY, OPEN_SURVEY) in text
    assert "Бирге палоо" in mail["Subject"]

    provider = FakeSmsProvider()
    assert send_sms(rows, provider) == Counter({Outcome.SENT: 1})
    assert send_sms(rows, provider) == Counter()
    [sms] = provider.sent
    phone = get_cipher().decrypt(by_phone.phone_encrypted or "")
    assert sms.to == phone
    assert texted.token in sms.body
    assert len(smtp.received) == 1


def test_the_post_event_link_goes_by_e_mail_without_a_phone_and_no_reminder_follows(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event(title={"ru": "Плов вместе", "en": "Plov together", "ky": "Бирге палоо"})
    ends = utcnow().replace(microsecond=0) - timedelta(hours=3)
    with rows.fresh() as session:
        row = session.get(Event, event.id)
        assert row is not None
        row.starts_at, row.ends_at = ends - timedelta(hours=2), ends
        session.commit()
    person = rows.participant(email=ADDRESS, language=Language.EN, name="Aigul")
    with rows.fresh() as session:
        row_person = session.get(Participant, person.id)
        assert row_person is not None
        row_person.phone_encrypted = row_person.phone_hash = None
        session.commit()
    invitation = _attendee(rows, event, person)

    settings = any_hour_settings()
    due = ends + timedelta(minutes=event.survey_delay_minutes, seconds=30)
    with time_machine.travel(due, tick=False), rows.fresh() as session:
        assert send_due_surveys(session=session, now=utcnow(), settings=settings) == 1
        session.commit()
    assert send_queued(rows) == {"sent": 1}
    [mail] = smtp.received
    assert mail["Subject"] == "A few questions about Plov together"
    body = mail.get_body(("plain",))
    assert body is not None
    assert personal_link(get_settings().public_base_url, invitation.token) in body.get_content()

    # The reminder is an SMS: a day later nothing more is planned for someone without a phone.
    a_day_later = utcnow() + timedelta(days=1, minutes=1)
    with time_machine.travel(a_day_later, tick=False), rows.fresh() as session:
        assert send_due_surveys(session=session, now=utcnow(), settings=settings) == 0
        session.commit()
    assert [m.channel for m in rows.messages(event)] == [MessageChannel.EMAIL]
