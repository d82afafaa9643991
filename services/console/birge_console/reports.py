"""Report pages: the summary over the reader's events, one event's report, and the exports.

Every figure comes from `birge_api.reports` (the same cells and suppression as the API), for
viewers, coordinators and administrators alike; the pages hold aggregates only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from birge_api.events.service import get_event
from birge_api.problems import invalid
from birge_api.reports import service
from birge_api.reports.export import ExportFormat, export_events
from birge_api.reports.router import EARLIEST, LATEST
from birge_console import i18n, report_charts, report_contacts
from birge_console.context import ConsoleDep
from birge_console.i18n import N_
from birge_console.routing import console_router
from birge_shared import survey_items
from birge_shared.models import ActivityType, City

router = console_router()

#: As the API's `?city=` filter allows.
CITY_CODE_LENGTH = 40
#: As the API's `?cursor=` allows.
CURSOR_LENGTH = 200
#: Events in one page of the report's table; the exports hold them all.
EVENTS_PER_PAGE = 25
#: The element a page of the events table replaces, when htmx asks for it.
EVENTS_TARGET = "report-events"

ACTIVITY_NAMES: dict[ActivityType, str] = {
    ActivityType.SPORT: N_("Sport"),
    ActivityType.COOKING: N_("Cooking"),
    ActivityType.LANGUAGE_EXCHANGE: N_("Language exchange"),
    ActivityType.CULTURAL_VISIT: N_("Cultural visit"),
    ActivityType.VOLUNTEERING: N_("Volunteering"),
    ActivityType.DISCUSSION: N_("Discussion"),
    ActivityType.ARTS: N_("Arts"),
    ActivityType.GAMES: N_("Games"),
    ActivityType.OTHER: N_("Other"),
}


@dataclass(frozen=True)
class FilterForm:
    """The filter form's values as typed, and the report filter they mean."""

    city: str
    date_from: str
    date_to: str
    activity_type: str
    filters: service.ReportFilter

    def query(self) -> str:
        values = {
            "city": self.city,
            "from": self.date_from,
            "to": self.date_to,
            "activity_type": self.activity_type,
        }
        return urlencode({key: value for key, value in values.items() if value})


def _date(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be a date like 2026-09-28") from None
    if not EARLIEST <= day <= LATEST:
        raise invalid(field, f"must lie between {EARLIEST} and {LATEST}")
    return day


def filter_form(city: str, date_from: str, date_to: str, activity_type: str) -> FilterForm:
    """Blank fields are no filter (a plain GET form sends them all); bad values are a 422."""
    activity: ActivityType | None = None
    if len(city) > CITY_CODE_LENGTH:
        raise invalid("city", f"at most {CITY_CODE_LENGTH} characters")
    if activity_type:
        try:
            activity = ActivityType(activity_type)
        except ValueError:
            raise invalid("activity_type", "unknown activity type") from None
    return FilterForm(
        city=city.strip().lower(),
        date_from=date_from,
        date_to=date_to,
        activity_type=activity_type,
        filters=service.ReportFilter(
            city=city.strip().lower() or None,
            date_from=_date("from", date_from),
            date_to=_date("to", date_to),
            activity_type=activity,
        ),
    )


def _cities(console: ConsoleDep) -> list[City]:
    cities = console.db.scalars(select(City).order_by(City.name))
    return [city for city in cities if console.actor.can_see_city(city.code)]


def _cursor(console: ConsoleDep, name: str) -> str | None:
    value = console.request.query_params.get(name, "")
    if len(value) > CURSOR_LENGTH:
        raise invalid(name, "not a cursor of this page")
    return value or None


def _events_context(console: ConsoleDep, form: FilterForm) -> dict[str, Any]:
    """One page of the events table, and the links to its neighbours keeping the filters."""
    page = service.event_reports_page(
        session=console.db,
        actor=console.actor,
        filters=form.filters,
        limit=EVENTS_PER_PAGE,
        after=_cursor(console, "after"),
        before=_cursor(console, "before"),
    )
    base = form.query()

    def link(name: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return "&".join(part for part in (base, urlencode({name: cursor})) if part)

    cities = _cities(console)
    return {
        "form": form,
        "events": page.items,
        # Each report carries its event's titles: no second query for them.
        "titles": {report.event_id: report.title for report in page.items},
        "cities": cities,
        "city_names": {city.code: city.name for city in cities},
        "next_query": link("after", page.next_cursor),
        "previous_query": link("before", page.previous_cursor),
        "suppressed": report_charts.suppressed_text,
    }


def _summary_context(console: ConsoleDep, form: FilterForm) -> dict[str, Any]:
    summary = service.summary_report(session=console.db, actor=console.actor, filters=form.filters)
    with i18n.using(console.language):
        drawn = {
            "funnel": report_charts.funnel("summary-funnel", summary.invitations),
            "mix": report_charts.events_in_band("summary-mix", summary.mix),
            "ratings": report_charts.ratings("summary-ratings", summary.survey.rating_distribution),
            "attitude": report_charts.attitude("summary-attitude", summary.survey.attitude_change),
        }
    return {
        **_events_context(console, form),
        "summary": summary,
        "activities": ACTIVITY_NAMES,
        "charts": drawn,
        "signed": report_charts.signed,
        "suppressed": report_charts.suppressed_text,
        "item_titles": {item.code: item.title for item in survey_items.BANK},
        "wave_titles": survey_items.WAVE_TITLES,
    }


def _form_of(console: ConsoleDep) -> FilterForm:
    # Read from the query itself: `from` is a Python keyword, and blank fields mean no filter.
    params = console.request.query_params
    return filter_form(
        params.get("city", ""),
        params.get("from", ""),
        params.get("to", ""),
        params.get("activity_type", ""),
    )


@router.get("/console/reports", response_class=HTMLResponse)
def summary_page(console: ConsoleDep) -> HTMLResponse:
    form = _form_of(console)
    if console.is_htmx() and console.request.headers.get("HX-Target") == EVENTS_TARGET:
        # Paging through the events swaps their table only: the summary stays as it was.
        return console.render("reports/events_table.html", **_events_context(console, form))
    context = _summary_context(console, form)
    context |= report_contacts.section(
        console, city=form.city, date_from=form.date_from, date_to=form.date_to
    )
    template = "reports/summary_results.html" if console.is_htmx() else "reports/summary.html"
    return console.render(template, **context)


@router.get("/console/reports/export.{file_format}")
def export(console: ConsoleDep, file_format: ExportFormat) -> Response:
    exported = export_events(
        session=console.db,
        actor=console.actor,
        filters=_form_of(console).filters,
        file_format=file_format,
    )
    return Response(
        content=exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/console/reports/events/{event_id}", response_class=HTMLResponse)
def event_page(console: ConsoleDep, event_id: uuid.UUID) -> HTMLResponse:
    report = service.event_report(session=console.db, actor=console.actor, event_id=event_id)
    event = get_event(session=console.db, actor=console.actor, event_id=event_id)
    survey = report.survey
    # The charts' texts and numbers are formatted here, in the reader's language.
    with i18n.using(console.language):
        drawn = {
            "funnel": report_charts.funnel("event-funnel", report.invitations),
            "mix": report_charts.mix_against_band("event-mix", report.mix),
            "ratings": report_charts.ratings("event-ratings", survey.rating_distribution),
            "attitude": report_charts.attitude("event-attitude", survey.attitude_change),
        }
    return console.render(
        "reports/event.html",
        report=report,
        event=event,
        activities=ACTIVITY_NAMES,
        charts=drawn,
        signed=report_charts.signed,
        suppressed=report_charts.suppressed_text,
    )
