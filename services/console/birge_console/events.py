"""The events list (filters, cursor pages) and the month calendar, in the caller's cities."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Query
from fastapi.responses import HTMLResponse

from birge_api.cities import visible_cities
from birge_api.events.service import EventFilter, list_events
from birge_api.pagination import encode_cursor
from birge_api.problems import invalid
from birge_console.context import Console, ConsoleDep
from birge_console.event_labels import LABELS
from birge_console.routing import console_router
from birge_shared import i18n as shared_i18n
from birge_shared.models import ActivityType, City, Event, EventStatus, utcnow
from birge_shared.models.city import BISHKEK_TZ

router = console_router()
E = TypeVar("E", EventStatus, ActivityType)

PAGE_SIZE = 25
#: The calendar reads a month in pages of the service's largest size, up to this many events.
CALENDAR_PAGE = 100
CALENDAR_MOST = 1000
RESULTS_TARGET = "event-results"

Short = Annotated[str, Query(max_length=40)]
DateText = Annotated[str | None, Query(max_length=10)]


@dataclass(frozen=True)
class ListFilters:
    city: str = ""
    status: str = ""
    activity: str = ""
    date_from: str = ""
    date_to: str = ""

    def query(self, **extra: str) -> str:
        names = {"date_from": "from", "date_to": "to"}
        pairs = {names.get(key, key): value for key, value in asdict(self).items() if value}
        pairs.update({key: value for key, value in extra.items() if value})
        return urlencode(pairs)


def _choice(kind: type[E], value: str, field: str) -> E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise invalid(field, "not one of the options") from None


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, "a date, YYYY-MM-DD") from None


def _zone(cities: list[City], code: str) -> ZoneInfo:
    """Dates typed in a filter are local: the chosen city's, else Bishkek's (Osh shares it)."""
    by_code = {city.code: city.timezone for city in cities}
    return ZoneInfo(by_code.get(code, BISHKEK_TZ))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _event_filter(filters: ListFilters, zone: ZoneInfo) -> EventFilter:
    first, last = _day(filters.date_from, "from"), _day(filters.date_to, "to")
    return EventFilter(
        city=filters.city or None,
        status=_choice(EventStatus, filters.status, "status"),
        activity_type=_choice(ActivityType, filters.activity, "activity"),
        starts_from=_midnight(first, zone) if first else None,
        # The last day is included: events before the next local midnight.
        starts_to=_midnight(last + timedelta(days=1), zone) if last else None,
    )


def _can_write(console: Console) -> bool:
    # Mirrors `require_writer`: the buttons shown are the ones that would be allowed.
    return not console.is_viewer


@router.get("/console/events", response_class=HTMLResponse)
def events_list(
    console: ConsoleDep,
    city: Short = "",
    status: Short = "",
    activity: Short = "",
    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    cities = visible_cities(session=console.db, actor=console.actor)
    zone = _zone(cities, city)
    if date_from is None:
        # A first visit lists what is ahead; clearing the field lists the past too.
        date_from = utcnow().astimezone(zone).date().isoformat()
    filters = ListFilters(
        city=city, status=status, activity=activity, date_from=date_from, date_to=date_to
    )
    events, more = list_events(
        session=console.db,
        actor=console.actor,
        filters=_event_filter(filters, zone),
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    next_query = (
        filters.query(cursor=encode_cursor(events[-1].starts_at, events[-1].id)) if more else None
    )
    context: dict[str, Any] = {
        "events": events,
        "filters": filters,
        "cities": cities,
        "next_query": next_query,
        "first_query": filters.query() if cursor else None,
        "can_write": _can_write(console),
        "activities": list(ActivityType),
        "statuses": list(EventStatus),
        **LABELS,
    }
    if console.is_htmx() and console.request.headers.get("HX-Target") == RESULTS_TARGET:
        return console.render("events/_results.html", **context)
    return console.render("events/list.html", **context)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    events: list[Event]


def _month(value: str | None, today: date) -> date:
    if not value:
        return today.replace(day=1)
    try:
        first = date.fromisoformat(f"{value}-01")
    except ValueError:
        raise invalid("month", "a month, YYYY-MM") from None
    if not 2000 <= first.year <= 2199:
        raise invalid("month", "a month between 2000 and 2199")
    return first


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _month_events(console: Console, filters: EventFilter) -> tuple[list[Event], bool]:
    events: list[Event] = []
    cursor: str | None = None
    while True:
        page, more = list_events(
            session=console.db,
            actor=console.actor,
            filters=filters,
            limit=CALENDAR_PAGE,
            cursor=cursor,
        )
        events.extend(page)
        if not more or len(events) >= CALENDAR_MOST:
            return events, more
        cursor = encode_cursor(page[-1].starts_at, page[-1].id)


@router.get("/console/events/calendar", response_class=HTMLResponse)
def events_calendar(
    console: ConsoleDep,
    month: Annotated[str | None, Query(max_length=7)] = None,
    city: Short = "",
    status: Short = "",
    activity: Short = "",
) -> HTMLResponse:
    cities = visible_cities(session=console.db, actor=console.actor)
    zone = _zone(cities, city)
    today = utcnow().astimezone(zone).date()
    first = _month(month, today)
    following = _next_month(first)
    events, truncated = _month_events(
        console,
        EventFilter(
            city=city or None,
            status=_choice(EventStatus, status, "status"),
            activity_type=_choice(ActivityType, activity, "activity"),
            starts_from=_midnight(first, zone),
            starts_to=_midnight(following, zone),
        ),
    )
    by_day: dict[date, list[Event]] = {}
    for event in events:
        local = event.starts_at.astimezone(ZoneInfo(event.city.timezone)).date()
        by_day.setdefault(local, []).append(event)
    weeks = [
        [
            CalendarDay(day=day, in_month=day.month == first.month, events=by_day.get(day, []))
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(
            first.year, first.month
        )
    ]
    language = console.language
    previous = (first - timedelta(days=1)).replace(day=1)
    filters = ListFilters(city=city, status=status, activity=activity)
    return console.render(
        "events/calendar.html",
        weeks=weeks,
        today=today,
        month_title=f"{shared_i18n.month_name(first.month, language)} {first.year}",
        day_names=shared_i18n.day_names(language),
        day_names_wide=shared_i18n.day_names(language, width="wide"),
        previous_query=filters.query(month=f"{previous:%Y-%m}"),
        next_query=filters.query(month=f"{following:%Y-%m}"),
        month_value=f"{first:%Y-%m}",
        list_query=ListFilters(
            city=city,
            status=status,
            activity=activity,
            date_from=first.isoformat(),
            date_to=(following - timedelta(days=1)).isoformat(),
        ).query(),
        filters=filters,
        cities=cities,
        truncated=truncated,
        event_count=len(events),
        can_write=_can_write(console),
        activities=list(ActivityType),
        statuses=list(EventStatus),
        **LABELS,
    )
