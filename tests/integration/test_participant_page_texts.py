"""The participant page's words come from the gettext catalogues, in each of its languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_api.participant_page import i18n as page_i18n
from birge_shared import i18n
from birge_shared.models import Language
from tests.factories import make_event, make_invitation, make_participant

PAGE = Path(page_i18n.__file__).parent
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# The texts of a pending invitation to an upcoming event with a place on the map.
_INVITATION_TEXTS = (
    "Invitation",
    "When",
    "Where",
    "Open map",
    "Add to calendar",
    "Your answer",
    "I'll come",
    "I can't come",
    "You can change your answer until the event starts.",
    page_i18n.STATES[page_i18n.AnswerState.PENDING],
)


def _pending_page(client: TestClient, db: Session, language: Language) -> str:
    event = make_event(db)
    event.venue_latitude, event.venue_longitude = 40.5283, 72.7985
    participant = make_participant(db, language=language)
    invitation = make_invitation(db, event=event, participant=participant)
    response = client.get(f"/p/{invitation.token}")
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize("language", list(Language))
def test_each_text_of_the_invitation_comes_from_the_catalogue(
    client: TestClient, db: Session, language: Language
) -> None:
    html = _pending_page(client, db, language)
    for msgid in _INVITATION_TEXTS:
        shown = i18n.gettext_for(language, msgid)
        if language is not Language.EN:
            assert shown != msgid, f"{language}: {msgid!r} is not translated"
        assert shown in html, f"{language}: {shown!r} is not on the page"
    # The language switch's label too.
    assert f'aria-label="{i18n.gettext_for(language, "Language")}"' in html


def test_the_kyrgyz_page_speaks_kyrgyz(client: TestClient, db: Session) -> None:
    html = _pending_page(client, db, Language.KY)
    for kyrgyz in ("Чакыруу", "Качан", "Кайда", "Катышам", "Сиздин жообуңуз"):
        assert kyrgyz in html
    for russian in ("Приду", "Ваш ответ", "Когда"):
        assert russian not in html


def test_a_message_page_is_in_the_language_asked_for(client: TestClient) -> None:
    html = client.get("/p/" + "x" * 43 + "?lang=ky").text
    assert "Барак табылган жок" in html
    assert "Страница не найдена" not in html
    assert "Page not found" not in html


def test_no_text_table_is_left_in_the_page_code() -> None:
    # Kyrgyz and Russian live in the catalogues only; the code holds the English msgids.
    for path in [*PAGE.glob("*.py"), *PAGE.glob("templates/*.html")]:
        assert not _CYRILLIC.search(path.read_text(encoding="utf-8")), path.name
    assert not hasattr(page_i18n, "TEXTS")
    assert not hasattr(page_i18n, "PageTexts")


@pytest.mark.parametrize("template", sorted(p.name for p in PAGE.glob("templates/*.html")))
def test_every_word_of_the_templates_goes_through_gettext(template: str) -> None:
    source = (PAGE / "templates" / template).read_text(encoding="utf-8")
    outside = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<style>.*?</style>|<[^>]+>", " ", source, flags=re.S)
    words = set(re.findall(r"[^\W\d_]+", outside))
    assert words <= {"Birge"}, f"{template}: {sorted(words - {'Birge'})} not translated"


def test_every_state_has_a_text_in_each_language() -> None:
    texts = [
        *page_i18n.STATES.values(),
        *page_i18n.DONE.values(),
        *page_i18n.QUESTIONS.values(),
        *(end for ends in page_i18n.SCALE_ENDS.values() for end in ends),
    ]
    assert set(page_i18n.STATES) == set(page_i18n.AnswerState)
    assert set(page_i18n.DONE) == set(page_i18n.Done)
    for language in (Language.KY, Language.RU):
        for text in texts:
            assert i18n.gettext_for(language, text) != text, (language, text)


def test_the_console_and_the_page_share_one_gettext() -> None:
    from birge_console import i18n as console_i18n  # noqa: PLC0415 - the test's subject only

    assert console_i18n._ is i18n._
    assert console_i18n.using is i18n.using
    with i18n.using(Language.KY):
        assert console_i18n._("Language") == "Тил"
