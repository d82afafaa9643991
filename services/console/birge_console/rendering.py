"""Jinja2 for the console: autoescaped templates, gettext, and Babel's formats as filters.

Every response carries the console's Content-Security-Policy: scripts and styles only from
the console's own static files (htmx and Alpine's CSP build need no eval or inline code).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

from birge_api.templating import translated_environment
from birge_console import api_texts, event_labels, i18n
from birge_console.static_files import asset_url
from birge_shared import i18n as shared_i18n
from birge_shared.i18n import LANGUAGE_NAMES

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
}


def _date(value: date | datetime | None, form: str = "medium", time_zone: str = "UTC") -> str:
    if value is None:
        return ""
    language = i18n.current()
    if isinstance(value, datetime):
        return shared_i18n.format_datetime(value, language, time_zone, form=form)
    return shared_i18n.format_date(value, language, form=form)


def _day(value: datetime | None, time_zone: str, form: str = "medium") -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(time_zone))
    return shared_i18n.format_date(local.date(), i18n.current(), form=form)


def _time(value: datetime | None, time_zone: str) -> str:
    if value is None:
        return ""
    return shared_i18n.format_time(value, i18n.current(), time_zone)


def _number(value: int | float | Decimal | None) -> str:
    return "" if value is None else shared_i18n.format_number(value, i18n.current())


def _percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return shared_i18n.format_percent(value, i18n.current(), digits=digits)


def _money(value: Decimal | None, currency: str) -> str:
    return "" if value is None else shared_i18n.format_money(value, currency, i18n.current())


env = translated_environment(TEMPLATES, autoescape=("html", "svg"))
env.filters.update(date=_date, day=_day, time=_time, number=_number, percent=_percent, money=_money)
env.filters.update(import_detail=api_texts.import_detail, failure_reason=api_texts.failure_reason)
env.filters.update(
    channel_label=event_labels.channel_label, purpose_label=event_labels.purpose_label
)
env.globals.update(asset=asset_url, language_names=LANGUAGE_NAMES)


def render_text(template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)


def render(
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page (or an htmx fragment) in the current language, with the console's headers."""
    body = render_text(template, language=i18n.current().value, **context)
    return HTMLResponse(
        body, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
