from __future__ import annotations

from datetime import UTC, datetime

import pytest

from birge_shared.models.enums import Language
from birge_shared.sms.render import SmsRoute, render_event_text, render_plain_sms
from birge_shared.sms.segments import count_segments
from birge_shared.sms.templates import (
    DEFAULT_TEMPLATES,
    PLACEHOLDERS,
    TemplateError,
    check_template,
    pick_text,
)

START = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # 15:00 in Bishkek
LINK = "https://birge.kg/p/" + "x" * 43
TWO_WAY = SmsRoute(two_way=True)


def invitation(language: Language, title: dict[str, str] | None = None) -> str:
    return render_event_text(
        purpose="invitation",
        language=language,
        route=TWO_WAY,
        title=title or {"ru": "Футбол вместе", "en": "Football together", "ky": "Бирге футбол"},
        venue="Stadium Dinamo",
        starts_at=START,
        timezone="Asia/Bishkek",
        link=LINK,
    ).text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.EN, "Football together! 5 Dec, 15:00, Stadium Dinamo"),
        (Language.RU, "«Футбол вместе»! 5 декабря, 15:00, Stadium Dinamo"),
        (Language.KY, "«Бирге футбол» иш-чарасына чакырабыз! 5-декабрь, саат 15:00"),
    ],
)
def test_invitation_in_each_language_shows_local_time_and_link(
    language: Language, expected: str
) -> None:
    text = invitation(language)
    assert expected in text
    assert text.endswith(LINK)


def test_the_title_falls_back_to_russian_then_english() -> None:
    assert "«Футбол»" in invitation(Language.KY, {"ru": "Футбол", "en": "Football"})
    assert "«Football»" in invitation(Language.KY, {"en": "Football"})


def test_every_default_is_valid_and_exists_in_every_language() -> None:
    for purpose, texts in DEFAULT_TEMPLATES.items():
        assert set(texts) == set(Language)
        for body in texts.values():
            check_template(purpose, body)
    assert set(DEFAULT_TEMPLATES) == set(PLACEHOLDERS)


def test_defaults_stay_short() -> None:
    # Cyrillic is UCS-2: an invitation with its link should fit in three segments.
    for language in Language:
        assert count_segments(invitation(language)).segments <= 3
    for purpose in ("help", "opted_out", "opted_in", "reply_hint"):
        for language in Language:
            assert (
                count_segments(
                    render_plain_sms(purpose=purpose, language=language, route=TWO_WAY)
                ).segments
                <= 2
            )


def test_an_admin_override_wins_and_missing_languages_fall_back() -> None:
    overrides = {("help", Language.RU): "Пишите ДА или НЕТ."}
    assert pick_text("help", Language.RU, overrides) == "Пишите ДА или НЕТ."
    assert pick_text("help", Language.EN, overrides) == DEFAULT_TEMPLATES["help"][Language.EN]


@pytest.mark.parametrize(
    ("purpose", "body", "message"),
    [
        ("invitation", "Come to {title} {phone}", "unknown placeholder {phone}"),
        ("invitation", "Come {title.__class__}", "unknown placeholder"),
        ("invitation", "Come {title!r}", "may not carry a format"),
        ("invitation", "Come {title:>30}", "may not carry a format"),
        ("invitation", "Come {title", "unbalanced"),
        ("help", "Reply {link}", "allowed: none"),
        ("nonsense", "hello", "unknown purpose"),
        ("help", "   ", "empty"),
    ],
)
def test_unsafe_or_unknown_templates_are_refused(purpose: str, body: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        check_template(purpose, body)
    assert message in str(caught.value)
