"""A cancellation says so in ky, ru and en, with the coordinator's reason, and asks nothing.

The coordinator cancels through the events service, the workers' task plans the notices, and
they are sent as the workers send them: SMS through the pipeline to a fake provider, e-mail
over SMTP to aiosmtpd, parsed back with the standard library.
"""

from __future__ import annotations

from collections import Counter
from email.message import EmailMessage

import pytest

from birge_api.events.service import cancel_event
from birge_shared.crypto import get_cipher
from birge_shared.mail.texts import texts_for
from birge_shared.models import Invitation, Language, Participant
from birge_shared.tasks import EventCancelled
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.sms.fake import FakeSmsProvider
from birge_workers.tasks import event_cancelled
from tests.integration.calendar.conftest import CalendarRows, Mailbox
from tests.integration.calendar.test_email_lifecycle import send_queued
from tests.integration.calendar.test_sms_notices import send_sms

REASON = "Стадион закрыт на ремонт"
#: What each language's cancellation must say: cancelled, and the reason under its label.
CANCELLED = {
    Language.KY: ("жокко чыгарылды", "Себеби: Стадион закрыт на ремонт."),
    Language.RU: ("отменено", "Причина: Стадион закрыт на ремонт."),
    Language.EN: ("is cancelled", "Reason: Стадион закрыт на ремонт."),
}


def _cancel(rows: CalendarRows, reason: str | None) -> dict[Language, Participant]:
    event = rows.event(
        title={"ky": "Бирге плов", "ru": "Плов вместе", "en": "Plov together"},
    )
    people: dict[Language, Participant] = {}
    for language in Language:
        [invitation] = rows.invited(event, 1, language=language)
        with rows.fresh() as session:
            found = session.get(Invitation, invitation.id)
            assert found is not None
            people[language] = found.participant
    actor = rows.admin()
    with rows.fresh() as session:
        cancel_event(session=session, actor=actor, event_id=event.id, reason=reason)
        session.commit()
    (cancellation,) = rows.outbox(EventCancelled)
    assert event_cancelled(**cancellation.payload) == 3
    return people


def _bodies(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    return str(plain.get_content()), str(html.get_content())


@pytest.mark.parametrize("reason", [REASON, None])
def test_the_cancellation_sms_says_cancelled_with_the_reason_and_no_link(
    rows: CalendarRows, reason: str | None
) -> None:
    _cancel(rows, reason)
    provider = FakeSmsProvider()

    assert send_sms(rows, provider) == Counter({Outcome.SENT: 3})

    texts = [call.body for call in provider.sent]
    assert len(texts) == 3
    for word, reason_line in CANCELLED.values():
        [text] = [text for text in texts if word in text]
        assert "/p/" not in text
        assert "http" not in text
        assert "  " not in text
        assert (reason_line in text) is (reason is not None)


@pytest.mark.parametrize("language", list(Language))
def test_the_cancellation_email_says_cancelled_with_the_reason_and_no_answer_link(
    rows: CalendarRows, smtp: Mailbox, language: Language
) -> None:
    people = _cancel(rows, REASON)

    assert send_queued(rows)["sent"] == 3

    with rows.fresh() as session:
        person = session.get(Participant, people[language].id)
        assert person is not None
        address = get_cipher().decrypt(person.email_encrypted or "")
    [message] = smtp.to(address)
    texts = texts_for(language, reads_replies=False)
    word, _ = CANCELLED[language]
    plain, html = _bodies(message)
    for body in (plain, html):
        assert word in body
        assert REASON in body
        assert texts.reason in body
        assert texts.open_page not in body
        assert texts.calendar_note not in body
        assert texts.how_to_answer not in body
        assert "/p/" not in body
    # The calendar still learns of it: the part and the file say CANCEL.
    kinds = [part.get_content_type() for part in message.walk()]
    assert "text/calendar" in kinds
