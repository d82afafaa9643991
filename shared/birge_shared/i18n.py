"""The words of every page, in Kyrgyz, Russian and English, and how dates and numbers look.

Texts live in gettext catalogues (`birge_shared/locale/<language>/LC_MESSAGES/birge.po`),
extracted with Babel from the console's and the participant page's templates and code
(`babel.cfg`). The install step compiles them to `.mo`; when a `.mo` is missing or older than
its `.po` (a fresh edit), the `.po` is read instead, so a changed text shows without a rebuild.

Dates, times and numbers are formatted with Babel's CLDR data for each language, Kyrgyz month
and day names included.

Pages are rendered one at a time in a thread, so the language being rendered is a context
variable set around each render (`using`); `_` and `ngettext` read it. Texts defined at import
time are marked with `N_` and translated where they are shown.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from birge_shared.models.enums import Language

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "birge"
DEFAULT_LANGUAGE = Language.RU

# Each language's own name, so a person can find theirs whatever the page is in.
LANGUAGE_NAMES: dict[Language, str] = {
    Language.KY: "Кыргызча",
    Language.RU: "Русский",
    Language.EN: "English",
}


def _catalogue_bytes(language: Language) -> bytes | None:
    folder = LOCALE_DIR / language.value / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        return mo.read_bytes()
    if not po.exists():
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language.value, domain=DOMAIN)
    out = BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The catalogue for one language; a text missing from it shows in English (its msgid)."""
    data = _catalogue_bytes(language)
    if data is None:
        return gettext.NullTranslations()
    return gettext.GNUTranslations(BytesIO(data))


def gettext_for(language: Language, message: str) -> str:
    return translations(language).gettext(message)


_current: ContextVar[Language] = ContextVar("birge_language", default=DEFAULT_LANGUAGE)


@contextmanager
def using(language: Language) -> Iterator[None]:
    """Render in `language` inside the block: `_`, `ngettext` and the formats follow it."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Language:
    return _current.get()


def _(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel extracts
    """Marks a text for extraction; it is translated where it is shown."""
    return message


@cache
def _locale(language: Language) -> Locale:
    return Locale.parse(language.value)


def format_date(value: date, language: Language, *, form: str = "medium") -> str:
    """`1 дек. 2026 ж.` / `1 дек. 2026 г.` / `Dec 1, 2026` (form: short, medium, long, full)."""
    return babel_dates.format_date(value, format=form, locale=_locale(language))


def format_datetime(
    value: datetime, language: Language, time_zone: str, *, form: str = "medium"
) -> str:
    """A moment as a wall-clock time in the city's zone (Bishkek and Osh are UTC+6)."""
    return babel_dates.format_datetime(
        value, format=form, tzinfo=ZoneInfo(time_zone), locale=_locale(language)
    )


def format_time(value: datetime, language: Language, time_zone: str) -> str:
    return babel_dates.format_time(
        value, format="short", tzinfo=ZoneInfo(time_zone), locale=_locale(language)
    )


def format_skeleton(value: datetime, skeleton: str, language: Language, time_zone: str) -> str:
    """A CLDR skeleton (`MMMMd`, `yMMMM`, `EEEEd` …) in this language's own order and words."""
    return babel_dates.format_skeleton(
        skeleton, value, tzinfo=ZoneInfo(time_zone), locale=_locale(language)
    )


# How an event's day and time are written in its SMS and on the participant page, so both say
# the same: day first and a 24-hour clock in every language, as people in Kyrgyzstan write
# them; the month's name is CLDR's ("14-март", "14 марта", "14 Mar"). English keeps the short
# month because an SMS is paid by the character.
_EVENT_DAY: dict[Language, str] = {
    Language.KY: "d-MMMM",
    Language.RU: "d MMMM",
    Language.EN: "d MMM",
}


# Pure and asked the same few questions for every message of a chunk (one event, a few
# languages), while formatting with babel costs as much as the rest of rendering the text.
@lru_cache(maxsize=1024)
def format_event_day(
    value: datetime, language: Language, time_zone: str, *, weekday: bool = False
) -> str:
    """`14-март` / `14 марта` / `14 Mar` in the city's zone; `weekday` puts its name first."""
    pattern = ("EEEE, " if weekday else "") + _EVENT_DAY[language]
    return babel_dates.format_datetime(
        value, pattern, tzinfo=ZoneInfo(time_zone), locale=_locale(language)
    )


@lru_cache(maxsize=1024)
def format_clock(value: datetime, time_zone: str) -> str:
    """`18:00` in the city's zone: the same digits and 24-hour clock in ky, ru and en."""
    return babel_dates.format_datetime(
        value, "HH:mm", tzinfo=ZoneInfo(time_zone), locale=_locale(Language.EN)
    )


def month_name(month: int, language: Language, *, width: str = "wide") -> str:
    """The stand-alone month name (`декабрь`, `December`), as a calendar's heading uses it."""
    names = _locale(language).months["stand-alone"][width]
    return str(names[month])


def day_names(language: Language, *, width: str = "abbreviated") -> list[str]:
    """Monday first, as calendars in Kyrgyzstan are laid out."""
    names = _locale(language).days["stand-alone"][width]
    return [str(names[day]) for day in range(7)]


def format_number(value: int | float | Decimal, language: Language) -> str:
    return babel_numbers.format_decimal(value, locale=_locale(language))


def format_percent(value: float, language: Language, *, digits: int = 0) -> str:
    pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
    return babel_numbers.format_percent(value, format=pattern, locale=_locale(language))


def format_money(value: Decimal, currency: str, language: Language) -> str:
    return babel_numbers.format_currency(value, currency, locale=_locale(language))
