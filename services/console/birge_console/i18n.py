"""The console's language: the gettext calls its code and templates use, and the browser's choice.

`_`, `ngettext`, `N_`, `using` and `current` are the ones the participant page uses too
(`birge_shared.i18n`): one current language per render, one set of catalogues.
"""

from __future__ import annotations

from birge_shared.i18n import DEFAULT_LANGUAGE, N_, _, current, ngettext, using
from birge_shared.models import Language

__all__ = [
    "DEFAULT_LANGUAGE",
    "N_",
    "_",
    "current",
    "from_accept_language",
    "ngettext",
    "using",
]


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
