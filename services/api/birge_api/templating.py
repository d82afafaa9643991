"""Jinja2 set up the same way for every page Birge renders: the participant page and the console.

Templates are autoescaped and strict (a misspelt variable fails the render rather than showing
nothing), and their texts go through the gettext catalogues in the language being rendered
(`birge_shared.i18n.using`). Babel extracts them with the same options (`babel.cfg`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from birge_shared import i18n


def _gettext(message: str) -> str:
    return i18n._(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.ngettext(singular, plural, n)


def translated_environment(templates: Path, *, autoescape: Sequence[str]) -> Environment:
    """An environment whose `_`, `gettext`, `ngettext` and `{% trans %}` use the catalogues.

    New-style gettext: `_("%(n)s people", n=count)` fills named placeholders and escapes the
    values, and a `{% trans %}` block's variables are escaped the same way.
    """
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(tuple(autoescape)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    callables: dict[str, Any] = {"gettext": _gettext, "ngettext": _ngettext, "newstyle": True}
    env.install_gettext_callables(**callables)  # type: ignore[attr-defined]
    return env
