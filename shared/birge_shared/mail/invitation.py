"""The e-mail that carries a calendar invitation, an update or a cancellation (pure).

Its shape is the one calendar clients recognise as an invitation (iMIP, RFC 6047), as the big
calendar services send it:

    multipart/mixed
      multipart/alternative
        text/plain                                  the reader's language
        text/html                                   the same, laid out
        text/calendar; method=REQUEST; charset=utf-8   the iTIP object itself
      application/ics; name=invite.ics              the same file, as an attachment

The `method` parameter must equal the METHOD inside the file, or clients treat the part as a
plain attachment. With a reply mailbox configured, invitations and updates are REQUESTs that
name it as ORGANIZER and cancellations are CANCELs; without one every file is a PUBLISH, which
asks for no answer (see `birge_shared.calendar` for why). Clients that ignore the inline
part (some webmail) still offer the attachment. Both calendar parts are base64, so the
file's CRLF line ends and UTF-8 arrive byte for byte through any mail server.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from birge_shared.calendar import UID_DOMAIN, CalendarMethod, Recipient, build_calendar
from birge_shared.mail.texts import PURPOSES, MailTexts, texts_for
from birge_shared.models import Event, Language
from birge_shared.sms.render import (
    describe_changes,
    in_language,
    local_date,
    local_time,
    personal_link,
)

ATTACHMENT_NAME = "invite.ics"

_METHODS = {
    "invitation": CalendarMethod.REQUEST,
    # An update is a new REQUEST for the same UID with a higher SEQUENCE.
    "event_changed": CalendarMethod.REQUEST,
    "event_cancelled": CalendarMethod.CANCEL,
}


def method_for(purpose: str, *, reply_address: str | None) -> CalendarMethod:
    """The calendar method of an e-mail: a scheduling one only when answers are read."""
    if purpose not in PURPOSES:
        raise ValueError(f"no e-mail for purpose {purpose!r}")
    if reply_address is None:
        return CalendarMethod.PUBLISH
    return _METHODS[purpose]


#: The purposes whose e-mail has nothing to answer or add to a calendar.
_CLOSING = frozenset({"event_cancelled"})


@dataclass(frozen=True)
class _Body:
    subject: str
    lead: str
    when: str
    where: str
    #: The personal link and the calendar note; None for a cancellation.
    link: str | None
    #: The coordinator's reason for a cancellation, if given.
    reason: str | None = None


def when_text(event: Event, language: Language) -> str:
    """`5 декабря, 15:00–17:00` in the city's time; the end's date only when it differs."""
    zone = event.city.timezone
    start_day = event.starts_at.astimezone(ZoneInfo(zone)).date()
    end_day = event.ends_at.astimezone(ZoneInfo(zone)).date()
    start = f"{local_date(event.starts_at, zone, language)}, {local_time(event.starts_at, zone)}"
    if start_day == end_day:
        return f"{start}–{local_time(event.ends_at, zone)}"
    end = f"{local_date(event.ends_at, zone, language)}, {local_time(event.ends_at, zone)}"
    return f"{start} – {end}"


def build_event_email(
    *,
    purpose: str,
    event: Event,
    recipient: Recipient,
    message_id: UUID,
    now: datetime,
    public_base_url: str,
    mail_from: str,
    reply_address: str | None = None,
    changes: Sequence[str] = (),
) -> EmailMessage:
    """The complete message for one participant, with the event as it is now.

    `reply_address` is the reply mailbox (CALENDAR_REPLY_ADDRESS), or None when there is none.
    `changes` names what a change notice is about (`time`, `place`, `title`).
    """
    if not recipient.email:
        raise ValueError("the recipient has no e-mail address")
    method = method_for(purpose, reply_address=reply_address)
    ics = build_calendar(
        events=[event],
        method=method,
        now=now,
        public_base_url=public_base_url,
        organizer=reply_address,
        recipient=recipient,
    )
    language = recipient.language
    texts = texts_for(language, reads_replies=reply_address is not None)
    title = in_language(event.title, language)
    wording = texts.purposes[purpose]
    body = _Body(
        subject=wording.subject % {"title": title},
        lead=wording.lead % {"title": title, "changes": describe_changes(changes, language)},
        when=when_text(event, language),
        where=f"{event.venue_name}, {event.venue_address}",
        link=None if purpose in _CLOSING else personal_link(public_base_url, recipient.token),
        reason=event.cancel_reason if purpose == "event_cancelled" else None,
    )

    message = EmailMessage(policy=SMTP)
    message["Subject"] = body.subject
    message["From"] = mail_from
    message["To"] = Address(display_name=recipient.name or "", addr_spec=recipient.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}@{UID_DOMAIN}>"
    # Tells mail servers and vacation responders this was sent by a machine: no auto-replies.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_plain(body, texts), cte="quoted-printable")
    message.add_alternative(_html(body, texts, language), subtype="html", cte="quoted-printable")
    message.add_alternative(
        ics,
        maintype="text",
        subtype="calendar",
        params={"method": method.value, "charset": "utf-8"},
        cte="base64",
    )
    message.add_attachment(
        ics,
        maintype="application",
        subtype="ics",
        filename=ATTACHMENT_NAME,
        params={"method": method.value},
    )
    # Set last: building the parts moves any Content-* header into the first part.
    message["Content-Language"] = language.value
    return message


def _plain(body: _Body, texts: MailTexts) -> str:
    reason = f"{texts.reason}: {body.reason}\n" if body.reason else ""
    links = (
        f"{texts.how_to_answer}\n{texts.open_page}: {body.link}\n\n{texts.calendar_note}\n\n"
        if body.link is not None
        else ""
    )
    return (
        f"{body.lead}\n\n"
        f"{reason}"
        f"{texts.when}: {body.when}\n"
        f"{texts.where}: {body.where}\n\n"
        f"{links}"
        f"{texts.signature}\n"
    )


def _html(body: _Body, texts: MailTexts, language: Language) -> str:
    e = html.escape
    reason = (
        f"<tr><th align=left>{e(texts.reason)}</th><td>{e(body.reason)}</td></tr>\n"
        if body.reason
        else ""
    )
    links = (
        f"<p>{e(texts.how_to_answer)}</p>\n"
        f'<p><a href="{e(body.link)}">{e(texts.open_page)}</a></p>\n'
        f"<p>{e(texts.calendar_note)}</p>\n"
        if body.link is not None
        else ""
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{language.value}">\n<head><meta charset="utf-8">'
        f"<title>{e(body.subject)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.5; color: #222;">\n'
        f"<p>{e(body.lead)}</p>\n"
        "<table>\n"
        f"{reason}"
        f"<tr><th align=left>{e(texts.when)}</th><td>{e(body.when)}</td></tr>\n"
        f"<tr><th align=left>{e(texts.where)}</th><td>{e(body.where)}</td></tr>\n"
        "</table>\n"
        f"{links}"
        f"<p>{e(texts.signature)}</p>\n"
        "</body>\n</html>\n"
    )
