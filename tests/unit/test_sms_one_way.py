"""Without replies (SMS_TWO_WAY=false) no text Birge can send asks for one.

Every purpose is rendered in every language, through every wording the sending can pick (the
default, the one-way text, each shorter one-segment wording), for an operator that joins parts
and one that does not.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from birge_shared.models.enums import Language
from birge_shared.sms.render import SmsRoute, render_event_text, render_plain_sms
from birge_shared.sms.reply_instructions import reply_instruction
from birge_shared.sms.templates import (
    DEFAULT_TEMPLATES,
    ONE_WAY_TEMPLATES,
    PLACEHOLDERS,
    SHORT_TEMPLATES,
    TemplateError,
    check_template,
    fill,
    pick_text,
)

START = datetime(2026, 9, 28, 12, 30, tzinfo=UTC)
LINK = "https://birge.kg/p/" + "x" * 43
TITLE = {
    "ky": "Бирге тил алмашуу кечеси",
    "ru": "Клуб языкового обмена Ош",
    "en": "Language exchange evening",
}
ONE_WAY_ROUTES = [
    SmsRoute(two_way=False, one_segment=False),
    SmsRoute(two_way=False, one_segment=True),
]
VALUES = {
    "title": "Клуб языкового обмена",
    "date": "28 сентября",
    "time": "18:30",
    "venue": "Ala-Too",
    "link": LINK,
    "reason": "Причина: ремонт.",
    "changes": "время",
}


def _rendered(purpose: str, language: Language, route: SmsRoute) -> str:
    if PLACEHOLDERS[purpose]:
        return render_event_text(
            purpose=purpose,
            language=language,
            route=route,
            title=TITLE,
            venue="Ala-Too Youth Centre",
            starts_at=START,
            timezone="Asia/Bishkek",
            link=LINK,
            reason="Стадион закрыт",
            changes=("time",),
        ).text
    return render_plain_sms(purpose=purpose, language=language, route=route)


@pytest.mark.parametrize("route", ONE_WAY_ROUTES, ids=["joins-parts", "one-segment"])
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("purpose", sorted(PLACEHOLDERS))
def test_no_one_way_text_asks_for_a_reply(
    purpose: str, language: Language, route: SmsRoute
) -> None:
    text = _rendered(purpose, language, route)
    assert reply_instruction(text) is None, text


def test_every_wording_that_can_go_one_way_asks_for_no_reply() -> None:
    """The texts themselves, not one rendering: each shorter wording and each one-way text."""
    walked = 0
    for purpose in PLACEHOLDERS:
        for language in Language:
            bodies = [
                pick_text(purpose, language, {}, two_way=False),
                *SHORT_TEMPLATES.get(purpose, {}).get(language, ()),
            ]
            for body in bodies:
                check_template(purpose, body, two_way=False)
                assert reply_instruction(fill(body, VALUES)) is None, body
                walked += 1
    assert walked >= len(PLACEHOLDERS) * len(Language)


def test_the_two_way_defaults_that_ask_for_replies_are_found() -> None:
    """The check finds what it is for: every two-way default it replaces asks for a reply."""
    asking = {
        (purpose, language)
        for purpose, texts in DEFAULT_TEMPLATES.items()
        for language, body in texts.items()
        if reply_instruction(body) is not None
    }
    replaced = {
        (purpose, language)
        for purpose, texts in ONE_WAY_TEMPLATES.items()
        for language, body in texts.items()
        if body != DEFAULT_TEMPLATES[purpose][language]
    }
    assert asking == replaced
    for purpose in ("help", "reply_hint", "opted_in", "opted_out", "survey_question_talk"):
        for language in Language:
            assert (purpose, language) in asking


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Reply YES to come", "YES"),
        ("Please reply to this message", "reply"),
        ("Birge: send STOP to unsubscribe", "STOP"),
        ("Ответьте ДА или НЕТ", "ДА"),
        ("Напишите нам", "Напишите"),
        ("ООБА деп жазыңыз", "ООБА"),
        ("Чакырууга жооп бериңиз", "жооп бериңиз"),
        ("How was it? 1 = poor, 5 = great", "1 = p"),
        ("Как вам? От 1 до 5", "От 1 до 5"),
        ("Text us back", "Text us"),
    ],
)
def test_what_counts_as_a_reply_instruction(text: str, found: str) -> None:
    assert reply_instruction(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Birge: приглашаем на «Футбол»! 14 марта, 18:00. Ответить: https://birge.kg/p/x",
        "Birge: «Футбол» иш-чарасына чакырабыз! 14-март, саат 18:00. Жооп берүү: https://x",
        "Birge: да, встреча состоится. No changes. Stop by at five.",
        "Birge: the stadium is closed; ok, see you next time",
    ],
)
def test_ordinary_words_are_not_reply_instructions(text: str) -> None:
    assert reply_instruction(text) is None


def test_an_edit_asking_for_a_reply_is_refused_while_replies_are_off() -> None:
    body = "Birge: «{title}» {date}. Ответьте ДА или откройте {link}"
    check_template("invitation", body)  # replies on: allowed
    with pytest.raises(TemplateError, match="asks for an SMS reply"):
        check_template("invitation", body, two_way=False)


def test_an_edit_saved_while_replies_were_on_is_passed_over_without_them() -> None:
    asking = {("help", Language.RU): "Пишите ДА или НЕТ."}
    assert pick_text("help", Language.RU, asking) == "Пишите ДА или НЕТ."
    assert (
        pick_text("help", Language.RU, asking, two_way=False)
        == (ONE_WAY_TEMPLATES["help"][Language.RU])
    )
    plain = {("help", Language.RU): "Birge: всё на странице по ссылке."}
    assert pick_text("help", Language.RU, plain, two_way=False) == plain[("help", Language.RU)]
