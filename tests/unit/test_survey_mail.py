"""The survey e-mail's MIME, read back with the standard library's parser."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from birge_shared.i18n import gettext_for
from birge_shared.mail.survey import build_survey_email
from birge_shared.mail.texts import OPEN_SURVEY, SURVEY_TEXTS
from birge_shared.models import Language
from tests.unit.test_calendar import BASE, MAIL_FROM, NOW, make_event

MESSAGE_ID = uuid.UUID("1c7b3f5e-3d2e-4e0f-9a8b-7c6d5e4f3a2b")
TOKEN = "s" * 43


def survey_mail(purpose: str, language: Language = Language.RU) -> EmailMessage:
    built = build_survey_email(
        purpose=purpose,
        event=make_event(),
        token=TOKEN,
        language=language,
        email="aigul@example.org",
        name="Айгуль <T>",
        message_id=MESSAGE_ID,
        now=NOW,
        public_base_url=BASE,
        mail_from=MAIL_FROM,
    )
    parsed = message_from_bytes(built.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("purpose", ["survey_post", "survey_followup"])
def test_a_survey_e_mail_is_plain_text_and_html_with_the_personal_link(
    purpose: str, language: Language
) -> None:
    message = survey_mail(purpose, language)
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert message["To"].addresses[0].addr_spec == "aigul@example.org"
    assert message["To"].addresses[0].display_name == "Айгуль <T>"
    assert message["Message-ID"] == f"<{MESSAGE_ID}@birge.kg>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == language.value
    link = f"{BASE.rstrip('/')}/p/{TOKEN}"
    subject, lead = SURVEY_TEXTS[purpose]
    title = make_event().title[language.value]
    assert message["Subject"] == gettext_for(language, subject) % {"title": title}
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    assert gettext_for(language, lead) % {"title": title} in text
    assert f"{gettext_for(language, OPEN_SURVEY)}: {link}" in text
    assert f'<a href="{link}">' in html.get_content()
    assert f'<html lang="{language.value}">' in html.get_content()


def test_the_two_waves_differ_and_other_purposes_have_no_survey_e_mail() -> None:
    assert survey_mail("survey_post")["Subject"] != survey_mail("survey_followup")["Subject"]
    with pytest.raises(ValueError, match="no survey e-mail"):
        survey_mail("invitation")
