"""The e-mail that carries a survey link, for a person Birge can write to by e-mail only (pure).

A plain message, text and HTML alternatives, no calendar part: there is nothing to add to a
calendar, only the personal link, whose page shows the questions of the wave that is open
(the post-event survey, or the follow-up weeks later).
"""

from __future__ import annotations

import html
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from uuid import UUID

from birge_shared.calendar import UID_DOMAIN
from birge_shared.mail.texts import SURVEY_TEXTS, SurveyTexts, survey_texts_for
from birge_shared.models import Event, Language
from birge_shared.sms.render import in_language, personal_link

#: The policy the finished message is written with: headers fold only past 998 characters.
#: Python's folding of a long Cyrillic subject into several encoded words can drop the space
#: between two of them ("после мероприятия" arriving as "послемероприятия"); a subject a few
#: hundred characters long on one line is within RFC 5322's limit. The bodies are encoded
#: beforehand with the SMTP policy, so their lines stay at 76.
_WRITTEN = SMTP.clone(max_line_length=998)


def build_survey_email(
    *,
    purpose: str,
    event: Event,
    token: str,
    language: Language,
    email: str,
    name: str | None,
    message_id: UUID,
    now: datetime,
    public_base_url: str,
    mail_from: str,
) -> EmailMessage:
    """The survey e-mail for one participant: the wave's lead and their personal link."""
    if purpose not in SURVEY_TEXTS:
        raise ValueError(f"no survey e-mail for purpose {purpose!r}")
    if not email:
        raise ValueError("the recipient has no e-mail address")
    texts = survey_texts_for(language, purpose)
    title = in_language(event.title, language)
    subject = texts.subject % {"title": title}
    lead = texts.lead % {"title": title}
    link = personal_link(public_base_url, token)

    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = Address(display_name=name or "", addr_spec=email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}@{UID_DOMAIN}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"{lead}\n\n{texts.open_page}: {link}\n\n{texts.signature}\n", cte="quoted-printable"
    )
    message.add_alternative(
        _html(subject, lead, link, texts, language), subtype="html", cte="quoted-printable"
    )
    message["Content-Language"] = language.value
    message.policy = _WRITTEN
    return message


def _html(subject: str, lead: str, link: str, texts: SurveyTexts, language: Language) -> str:
    e = html.escape
    return (
        f'<!DOCTYPE html>\n<html lang="{language.value}">\n<head><meta charset="utf-8">'
        f"<title>{e(subject)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.5; color: #222;">\n'
        f"<p>{e(lead)}</p>\n"
        f'<p><a href="{e(link)}">{e(texts.open_page)}</a></p>\n'
        f"<p>{e(texts.signature)}</p>\n"
        "</body>\n</html>\n"
    )
