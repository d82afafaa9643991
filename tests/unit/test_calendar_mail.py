"""The calendar e-mail's MIME, read back with the standard library's parser."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from birge_shared.calendar import Recipient
from birge_shared.i18n import gettext_for
from birge_shared.mail import texts as mail_texts
from birge_shared.mail.invitation import build_event_email, method_for, when_text
from birge_shared.models import Event, EventStatus, InvitationStatus, Language
from birge_workers.mail.transport import FolderTransport, MailError, SmtpConfig, parse_smtp_url
from tests.integration.calendar.reader import read_ics
from tests.unit.test_calendar import BASE, MAIL_FROM, NOW, REPLY_ADDRESS, make_event

MESSAGE_ID = uuid.UUID("0b6a2f4e-2c1d-4d9e-8f7a-6b5c4d3e2f1a")


def person(language: Language = Language.RU, name: str | None = "Айгуль <T>") -> Recipient:
    return Recipient(
        token="k" * 43,
        language=language,
        invitation_status=InvitationStatus.ACCEPTED,
        email="aigul@example.org",
        name=name,
    )


def mail(
    purpose: str = "invitation",
    *,
    event: Event | None = None,
    recipient: Recipient | None = None,
    reply_address: str | None = REPLY_ADDRESS,
) -> EmailMessage:
    built = build_event_email(
        purpose=purpose,
        event=event or make_event(sequence=2),
        recipient=recipient or person(),
        message_id=MESSAGE_ID,
        now=NOW,
        public_base_url=BASE,
        mail_from=MAIL_FROM,
        reply_address=reply_address,
    )
    # Through the wire format and back, as a mail client would see it.
    parsed = message_from_bytes(built.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> list[tuple[str, EmailMessage]]:
    return [(part.get_content_type(), part) for part in message.walk()]


@pytest.mark.parametrize(
    ("purpose", "reply_address", "method"),
    [
        ("invitation", REPLY_ADDRESS, "REQUEST"),
        ("event_changed", REPLY_ADDRESS, "REQUEST"),
        ("event_cancelled", REPLY_ADDRESS, "CANCEL"),
        # No reply mailbox: every file is published, asking for no answer.
        ("invitation", None, "PUBLISH"),
        ("event_changed", None, "PUBLISH"),
        ("event_cancelled", None, "PUBLISH"),
    ],
)
def test_shape_and_method_parameter_match_the_calendar_inside(
    purpose: str, reply_address: str | None, method: str
) -> None:
    event = make_event(sequence=2)
    if purpose == "event_cancelled":
        event = make_event(sequence=3, status=EventStatus.CANCELLED)
    message = mail(purpose, event=event, reply_address=reply_address)

    assert [kind for kind, _ in parts(message)] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    calendar_part = parts(message)[4][1]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    inline = read_ics(calendar_part.get_payload(decode=True))  # type: ignore[arg-type]
    assert inline.method == method

    attachment = parts(message)[5][1]
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == calendar_part.get_payload(decode=True)
    assert method_for(purpose, reply_address=reply_address).value == method


def test_with_a_reply_mailbox_the_invitation_asks_for_an_answer_there() -> None:
    vevent = read_ics(parts(mail())[4][1].get_payload(decode=True)).calendar.vevent  # type: ignore[arg-type]
    assert vevent.organizer.value == f"mailto:{REPLY_ADDRESS}"
    assert vevent.attendee.params["RSVP"] == ["TRUE"]


def test_without_a_reply_mailbox_nothing_asks_for_an_answer() -> None:
    for purpose in ("invitation", "event_changed"):
        message = mail(purpose, reply_address=None)
        inline = parts(message)[4][1]
        read = read_ics(inline.get_payload(decode=True))  # type: ignore[arg-type]
        # No ORGANIZER to answer and no ATTENDEE asked: clients offer "add", not RSVP buttons.
        assert not {"organizer", "attendee"} & set(read.calendar.vevent.contents)
        assert read.calendar.vevent.url.value.startswith(f"{BASE}/p/")
    cancelled = mail(
        "event_cancelled",
        event=make_event(sequence=3, status=EventStatus.CANCELLED),
        reply_address=None,
    )
    vevent = read_ics(parts(cancelled)[4][1].get_payload(decode=True)).calendar.vevent  # type: ignore[arg-type]
    assert vevent.status.value == "CANCELLED"
    assert vevent.sequence.value == "3"


def test_the_calendar_part_arrives_byte_for_byte_with_crlf_line_ends() -> None:
    body = parts(mail())[4][1].get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"\r\n" in body
    assert b"\n" not in body.replace(b"\r\n", b"")
    vevent = read_ics(body).calendar.vevent
    assert vevent.attendee.value == "mailto:aigul@example.org"
    assert vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert vevent.sequence.value == "2"


def test_headers() -> None:
    message = mail()
    assert message["Subject"] == "Приглашение: Футбол вместе"
    assert message["From"] == MAIL_FROM
    assert message["To"].addresses[0].addr_spec == "aigul@example.org"
    assert message["To"].addresses[0].display_name == "Айгуль <T>"
    assert message["Message-ID"] == f"<{MESSAGE_ID}@birge.kg>"
    assert message["Content-Language"] == "ru"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"]


@pytest.mark.parametrize(
    ("language", "lead", "when"),
    [
        (Language.KY, "Сизди «Бирге футбол» иш-чарасына чакырабыз!", "5-декабрь, 15:00–17:00"),
        (Language.RU, "Приглашаем вас на «Футбол вместе»!", "5 декабря, 15:00–17:00"),
        (Language.EN, "You are invited to Football together!", "5 Dec, 15:00–17:00"),
    ],
)
def test_plain_and_html_bodies_speak_the_participant_language(
    language: Language, lead: str, when: str
) -> None:
    message = mail(recipient=person(language))
    plain = parts(message)[2][1].get_content()
    html = parts(message)[3][1].get_content()
    for body in (plain, html):
        assert lead in body
        assert when in body
        assert "Stadium Dinamo, Frunze st. 1" in body
        assert f"{BASE}/p/{'k' * 43}" in body


def test_html_escapes_what_it_shows() -> None:
    event = make_event(title={"en": "<b>Chess</b> & tea"}, venue_name='Café "Q"')
    html = parts(mail(event=event, recipient=person(Language.EN)))[3][1].get_content()
    assert "&lt;b&gt;Chess&lt;/b&gt; &amp; tea" in html
    assert "<b>Chess" not in html
    assert "Café &quot;Q&quot;" in html


def test_cancellation_and_change_wording() -> None:
    cancelled = make_event(sequence=3, status=EventStatus.CANCELLED)
    message = mail("event_cancelled", event=cancelled, recipient=person(Language.EN))
    assert message["Subject"] == "Cancelled: Football together"
    assert "is cancelled" in parts(message)[2][1].get_content()
    changed = mail("event_changed", recipient=person(Language.EN))
    assert changed["Subject"] == "Updated: Football together"


@pytest.mark.parametrize(
    ("language", "calendar", "page_only"),
    [
        (Language.KY, "«Кабыл алуу» же «Баш тартуу»", "төмөнкү жеке шилтемеңизди ачыңыз"),
        (Language.RU, "«Принять» или «Отклонить»", "откройте свою личную ссылку ниже"),
        (Language.EN, "Accept or Decline in your calendar", "open your personal link below"),
    ],
)
def test_the_body_names_the_calendar_buttons_only_when_replies_are_read(
    language: Language, calendar: str, page_only: str
) -> None:
    for purpose in ("invitation", "event_changed"):
        with_mailbox = mail(purpose, recipient=person(language))
        without = mail(purpose, recipient=person(language), reply_address=None)
        for part in (2, 3):
            asked = parts(with_mailbox)[part][1].get_content()
            assert calendar in asked
            assert page_only in asked  # the link still answers too
            linked = parts(without)[part][1].get_content()
            assert calendar not in linked
            assert page_only in linked


_FIELD = re.compile(r"%\((\w+)\)s")


def _mail_msgids() -> list[str]:
    return [
        mail_texts.WHEN,
        mail_texts.WHERE,
        mail_texts.OPEN_PAGE,
        mail_texts.ANSWER_IN_CALENDAR,
        mail_texts.ANSWER_ON_PAGE,
        mail_texts.CALENDAR_NOTE,
        mail_texts.REASON,
        mail_texts.SIGNATURE,
        *(text for pair in mail_texts.PURPOSE_TEXTS.values() for text in pair),
    ]


@pytest.mark.parametrize("language", [Language.KY, Language.RU])
def test_every_mail_text_is_translated_with_its_placeholders(language: Language) -> None:
    assert set(mail_texts.PURPOSE_TEXTS) == set(mail_texts.PURPOSES)
    for msgid in _mail_msgids():
        translated = gettext_for(language, msgid)
        assert translated != msgid, f"{language}: {msgid!r} is not translated"
        assert sorted(_FIELD.findall(translated)) == sorted(_FIELD.findall(msgid)), msgid


def test_the_kyrgyz_and_russian_wordings_are_kept() -> None:
    ky = mail_texts.texts_for(Language.KY, reads_replies=True)
    ru = mail_texts.texts_for(Language.RU, reads_replies=False)
    assert ky.purposes["event_changed"].lead == (
        "«%(title)s» иш-чарасы өзгөрдү (%(changes)s). Жаңы маалымат:"
    )
    assert ky.signature == "Birge командасы"
    assert (
        ru.purposes["event_cancelled"].lead == "К сожалению, «%(title)s» отменено. Просим прощения!"
    )
    assert ru.open_page == "Ответить и подробнее"


def test_an_event_over_midnight_shows_both_dates() -> None:
    event = make_event(ends_at=make_event().starts_at + timedelta(hours=10))
    assert when_text(event, Language.EN) == "5 Dec, 15:00 – 6 Dec, 01:00"


def test_unknown_purpose_and_missing_address_are_refused() -> None:
    with pytest.raises(ValueError, match="purpose"):
        method_for("reminder", reply_address=REPLY_ADDRESS)
    with pytest.raises(ValueError, match="e-mail"):
        build_event_email(
            purpose="invitation",
            event=make_event(),
            recipient=Recipient(
                token="k" * 43, language=Language.EN, invitation_status=InvitationStatus.SENT
            ),
            message_id=MESSAGE_ID,
            now=NOW,
            public_base_url=BASE,
            mail_from=MAIL_FROM,
        )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.local", SmtpConfig("relay.local", 25, "plain")),
        ("smtp://127.0.0.1:2525", SmtpConfig("127.0.0.1", 2525, "plain")),
        (
            "smtp+starttls://u%40x:p%3Aw@mail.example:587",
            SmtpConfig("mail.example", 587, "starttls", "u@x", "p:w"),
        ),
        ("smtps://user:pw@mail.example", SmtpConfig("mail.example", 465, "tls", "user", "pw")),
    ],
)
def test_smtp_url(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://mail.example", "smtp://", "smtps://user:secret@mail.example:99999"]
)
def test_bad_smtp_urls_are_refused_without_repeating_them(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL") as caught:
        parse_smtp_url(url)
    assert "secret" not in str(caught.value)


def test_the_local_simulator_writes_one_eml_per_message(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    built = build_event_email(
        purpose="invitation",
        event=make_event(),
        recipient=person(),
        message_id=MESSAGE_ID,
        now=NOW,
        public_base_url=BASE,
        mail_from=MAIL_FROM,
    )
    with FolderTransport(folder) as transport:
        transport.send(built)
        transport.send(built)  # the same message again replaces its file
    files = list(folder.iterdir())
    assert [file.name for file in files] == [f"{MESSAGE_ID}.eml"]
    assert files[0].read_bytes() == built.as_bytes()


def test_the_simulator_refuses_a_message_without_our_id(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Message-ID"] = "<../../etc/passwd@evil>"
    with pytest.raises(MailError) as caught:
        FolderTransport(tmp_path).send(message)
    assert caught.value.temporary is False
    assert list(tmp_path.iterdir()) == []
