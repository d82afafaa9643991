"""The language of the page being rendered, and the gettext calls templates and code use.

Handlers render one page at a time in a thread, so the current language is a context variable
set around each render (`using`); `_` and `ngettext` read it. Strings defined at import time
are marked with `N_` and translated when shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from birge_shared import i18n
from birge_shared.models import Language

DEFAULT_LANGUAGE = Language.RU

_current: ContextVar[Language] = ContextVar("console_language", default=DEFAULT_LANGUAGE)


@contextmanager
def using(language: Language) -> Iterator[None]:
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Language:
    return _current.get()


def _(message: str) -> str:
    return i18n.translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel extracts
    """Marks a text for extraction; it is translated where it is shown."""
    return message


def from_accept_language(header: str | None) -> Language | None:
    """The first of ky, ru, en that the browser asks for (`ky-KG,ru;q=0.9` -> ky)."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag.strip().lower()[:2]))
    for _quality, _position, code in sorted(weighted):
        if code in {language.value for language in Language}:
            return Language(code)
    return None
