"""Operators that do not join SMS parts get every text in one segment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from birge_shared.models.enums import Language
from birge_shared.settings import MAX_PUBLIC_BASE_URL, Settings
from birge_shared.sms.latin import to_gsm7_latin
from birge_shared.sms.render import (
    MIN_TITLE,
    OneSegmentError,
    SmsRoute,
    free_text_for,
    render_event_text,
    render_plain_sms,
    route_for,
)
from birge_shared.sms.segments import count_segments, fits_one_segment, is_gsm7
from birge_shared.sms.templates import PLACEHOLDERS

START = datetime(2026, 9, 28, 12, 30, tzinfo=UTC)  # 18:30 in Bishkek, the longest month names
TOKEN = "x" * 43
#: The longest link the settings allow while an operator needs one segment.
LONGEST_LINK = "https://" + "b" * (MAX_PUBLIC_BASE_URL - len("https://")) + "/p/" + TOKEN
LINK = "https://birge.kg/p/" + TOKEN
LONG_TITLE = {
    "ky": "Бишкек жана Ош шаарларынын жаштары үчүн эл аралык тил алмашуу жана маданият кечеси "
    "— ырлар, бийлер жана улуттук тамактар менен",
    "ru": "Международный вечер языкового обмена и культуры для молодёжи Бишкека и Оша — с "
    "песнями, танцами и национальной кухней",
    "en": "International language exchange and culture evening for the young people of Bishkek "
    "and Osh, with songs, dances and national food",
}
#: The texts whose link is their point: every shorter wording keeps it.
KEEP_THE_LINK = {
    "invitation",
    "invitation_waiting",
    "event_changed",
    "reminder",
    "survey_post",
    "survey_reminder",
}
BEELINE = "+996770123456"
MEGACOM = "+996555123456"


def _invitation(
    language: Language, route: SmsRoute, *, title: dict[str, str], link: str = LINK
) -> str:
    return render_event_text(
        purpose="invitation",
        language=language,
        route=route,
        title=title,
        venue="Ala-Too Youth Centre",
        starts_at=START,
        timezone="Asia/Bishkek",
        link=link,
    ).text


@pytest.mark.parametrize("two_way", [True, False], ids=["two-way", "one-way"])
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("purpose", sorted(PLACEHOLDERS))
def test_every_text_fits_one_segment_with_the_longest_title_and_link(
    purpose: str, language: Language, two_way: bool
) -> None:
    route = SmsRoute(two_way=two_way, one_segment=True)
    if PLACEHOLDERS[purpose]:
        rendered = render_event_text(
            purpose=purpose,
            language=language,
            route=route,
            title=LONG_TITLE,
            venue="Kyrgyz National Philharmonic, Great Hall",
            starts_at=START,
            timezone="Asia/Bishkek",
            link=LONGEST_LINK,
            reason="Стадион закрыт на ремонт до конца месяца по решению мэрии",
            changes=("time", "place", "title"),
        )
        text = rendered.text
        if purpose in KEEP_THE_LINK:
            assert LONGEST_LINK in text
    else:
        text = render_plain_sms(purpose=purpose, language=language, route=route)
    assert count_segments(text).segments == 1, text


@pytest.mark.parametrize("language", [Language.RU, Language.KY])
def test_a_cyrillic_invitation_to_beeline_is_one_segment_with_its_link(
    language: Language,
) -> None:
    route = route_for(Settings(), BEELINE)
    assert route.one_segment
    rendered = render_event_text(
        purpose="invitation",
        language=language,
        route=route,
        title=LONG_TITLE,
        venue="Ala-Too Youth Centre",
        starts_at=START,
        timezone="Asia/Bishkek",
        link=LINK,
    )
    assert count_segments(rendered.text).segments == 1
    assert rendered.text.endswith(LINK)
    assert rendered.shortened
    # The link alone takes most of a UCS-2 segment: the text goes in Latin letters, GSM-7.
    assert rendered.latin
    assert is_gsm7(rendered.text)
    assert "..." in rendered.text  # the title was cut, and says so
    cut = rendered.text.split('"')[1]
    assert len(cut) >= MIN_TITLE


def test_the_same_invitation_to_megacom_keeps_its_cyrillic_parts() -> None:
    route = route_for(Settings(), MEGACOM)
    assert not route.one_segment
    text = _invitation(Language.RU, route, title=LONG_TITLE)
    assert count_segments(text).segments > 1
    assert LONG_TITLE["ru"] in text


def test_a_text_that_fits_is_sent_as_it_is() -> None:
    route = SmsRoute(two_way=True, one_segment=True)
    rendered = render_event_text(
        purpose="invitation",
        language=Language.EN,
        route=route,
        title={"en": "Plov"},
        venue="Osh bazaar",
        starts_at=START,
        timezone="Asia/Bishkek",
        link=LINK,
    )
    assert not rendered.shortened
    assert not rendered.latin
    assert "Plov! 28 Sep, 18:30, Osh bazaar" in rendered.text


def test_kyrgyz_letters_keep_their_own_latin_letters() -> None:
    latin = to_gsm7_latin("Өмүр Жаңы «Үй» — Щука, ёлка… 😀")
    assert latin == 'Ömür Zhañy "Üy" - Shchuka, yolka... '
    assert is_gsm7(latin)


def test_a_coordinators_own_text_is_spelled_in_latin_letters_rather_than_cut() -> None:
    route = SmsRoute(two_way=False, one_segment=True)
    text = "Зал сменился: встречаемся в аудитории 204 на втором этаже, вход со стороны двора."
    assert not fits_one_segment(text)
    fitted = free_text_for(text, route)
    assert fitted.latin
    assert fits_one_segment(fitted.text)
    assert fitted.text.startswith("Zal smenilsya: vstrechaemsya v auditorii 204")
    assert free_text_for(text, SmsRoute(two_way=False)).text == text
    with pytest.raises(OneSegmentError):
        free_text_for("Зал сменился. " * 20, route)
