"""The gettext catalogues: complete in every language, and current with the code."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from birge_shared import i18n
from birge_shared.models import Language

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue(language: str) -> Catalog:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_in_the_code_is_in_the_catalogues() -> None:
    extracted = _extracted()
    assert extracted, "extraction found no text: is babel.cfg right?"
    for language in ("ky", "ru", "en"):
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id}
        missing = sorted(extracted - known)
        assert not missing, f"{language}: run `make messages` and translate {missing[:5]}"


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_text_is_translated(language: str) -> None:
    untranslated = [
        m.id
        for m in _catalogue(language)
        if m.id and (not m.string if isinstance(m.string, str) else not all(m.string or ()))
    ]
    assert not untranslated, f"{language} lacks {untranslated[:5]}"


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_translations_keep_their_placeholders(language: str) -> None:
    for message in _catalogue(language):
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        for text in [message.string] if isinstance(message.string, str) else message.string:
            if text:
                assert set(_PLACEHOLDER.findall(text)) <= set(_PLACEHOLDER.findall(source)), (
                    f"{language}: {message.id!r} -> {text!r}"
                )


def test_a_missing_mo_file_falls_back_to_the_po_file() -> None:
    i18n.translations.cache_clear()
    assert i18n.gettext_for(Language.RU, "Dashboard") == "Главная"
    assert i18n.gettext_for(Language.EN, "Dashboard") == "Dashboard"


def test_dates_use_kyrgyz_and_russian_month_names() -> None:
    moment = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)  # 14:30 in Bishkek
    assert "дек" in i18n.format_date(date(2026, 12, 5), Language.KY)
    assert "14:30" in i18n.format_datetime(moment, Language.RU, "Asia/Bishkek")
    assert i18n.month_name(12, Language.KY).lower().startswith("дек")
    assert i18n.month_name(12, Language.RU) == "декабрь"
    assert len(i18n.day_names(Language.KY)) == 7


def test_numbers_follow_the_language() -> None:
    assert i18n.format_number(12345, Language.RU) == "12\xa0345"
    assert i18n.format_number(12345, Language.EN) == "12,345"


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_no_entry_is_fuzzy(language: str) -> None:
    # The install step compiles with --use-fuzzy (for the header), so a fuzzy entry would show.
    fuzzy = [m.id for m in _catalogue(language) if m.id and m.fuzzy]
    assert not fuzzy, f"{language}: {fuzzy[:5]}"


def test_the_install_step_compiles_every_catalogue(tmp_path: Path) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    command = next(
        line.split() for line in makefile.splitlines() if "pybabel" in line and " compile " in line
    )
    arguments = command[command.index("compile") :]
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    arguments[arguments.index("$(LOCALE)")] = str(locale)
    subprocess.run(  # noqa: S603 - our own interpreter and the Makefile's arguments
        [sys.executable, "-m", "babel.messages.frontend", *arguments], check=True
    )
    for language, dashboard in (("ky", "Башкы бет"), ("ru", "Главная"), ("en", "Dashboard")):
        with (locale / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").open("rb") as handle:
            assert gettext.GNUTranslations(handle).gettext("Dashboard") == dashboard


def test_event_days_are_written_as_the_sms_always_wrote_them() -> None:
    # Day first, the month's CLDR name, a 24-hour clock: the SMS's length depends on it.
    expected = {
        Language.KY: ("1-январь", "1-май", "1-декабрь"),
        Language.RU: ("1 января", "1 мая", "1 декабря"),
        Language.EN: ("1 Jan", "1 May", "1 Dec"),
    }
    for language, days in expected.items():
        for month, day in zip((1, 5, 12), days, strict=True):
            moment = datetime(2026, month, 1, 6, 5, tzinfo=UTC)  # 12:05 in Bishkek
            assert i18n.format_event_day(moment, language, "Asia/Bishkek") == day
    evening = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    assert i18n.format_event_day(evening, Language.KY, "Asia/Bishkek", weekday=True) == (
        "ишемби, 14-март"
    )
    assert i18n.format_clock(evening, "Asia/Bishkek") == "18:00"
    assert i18n.format_clock(datetime(2026, 3, 14, 3, 7, tzinfo=UTC), "Asia/Bishkek") == "09:07"
