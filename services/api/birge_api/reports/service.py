"""Impact reports: figures per event and over the caller's events, from the rollups.

The counts and sums per cell (one event × one community) are kept as they are written, in
`report_rollup` (`birge_shared.rollups`); the database sums them with the small-cell rules
of `cells.py` as conditions (`sums.py`), so a summary reads a few rows whatever the number of
its events, and Python turns those sums into figures. No answer or invitation row is read,
and nothing that could identify a person leaves the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.pagination import decode_cursor, encode_cursor
from birge_api.problems import invalid
from birge_api.reports.figures import (
    InvitationTally,
    mix,
    mix_summary_of_rooms,
)
from birge_api.reports.schemas import (
    EventReport,
    ReviewItem,
    SummaryFilters,
    SummaryReport,
    SurveyFigures,
)
from birge_api.reports.sums import (
    NO_VALUES,
    SurveyValues,
    invitation_rooms,
    invitation_tallies,
    no_answers,
    survey_figures,
    survey_values,
)
from birge_api.reports.waves import wave_changes
from birge_shared.models import (
    ActivityType,
    City,
    Community,
    Event,
    EventStatus,
    InvitationStatus,
    Participant,
    Role,
)
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.retention import due_for_review, last_invited_at, review_cutoff

S = InvitationStatus
#: Every community a cell can stand for; `None` is "not declared".
_COMMUNITIES: tuple[Community | None, ...] = (*Community, None)


@dataclass(frozen=True)
class ReportFilter:
    city: str | None = None
    date_from: date | None = None  # local start dates, both ends included
    date_to: date | None = None
    activity_type: ActivityType | None = None
    community: Community | None = None

    def echo(self) -> SummaryFilters:
        return SummaryFilters(
            city=self.city,
            from_=self.date_from,
            to=self.date_to,
            activity_type=self.activity_type,
            community=self.community,
        )


@dataclass(frozen=True)
class EventRow:
    id: uuid.UUID
    title: dict[str, str]
    city: str
    activity_type: ActivityType
    status: EventStatus
    starts_at: datetime
    venue_name: str
    venue_address: str
    capacity: int
    min_share: float
    timezone: str


#: The event columns of an `EventRow`, in its order.
_ROW_COLUMNS = (
    Event.id,
    Event.title,
    Event.city_code,
    Event.activity_type,
    Event.status,
    Event.starts_at,
    Event.venue_name,
    Event.venue_address,
    Event.capacity,
    Event.min_share,
    City.timezone,
)


# ------------------------------------------------------------------ which events


def _local_midnight(day: date) -> datetime:
    # Reporting periods are local dates; both cities keep Bishkek time.
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(BISHKEK_TZ))


def _check(session: Session, filters: ReportFilter) -> None:
    if filters.city is not None and session.get(City, filters.city) is None:
        raise invalid("city", f"unknown city {filters.city!r}", type_="unknown-city")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise invalid("to", "must not be before from")


def _event_conditions(actor: Actor, filters: ReportFilter) -> list[ColumnElement[bool]]:
    # Cancelled events are left out: nobody met there, and their invitations were withdrawn.
    conditions: list[ColumnElement[bool]] = [Event.status != EventStatus.CANCELLED]
    if actor.cities is not None:
        # Another city's events are filtered out, never an error: the caller asked for a total.
        conditions.append(Event.city_code.in_(sorted(actor.cities)))
    if filters.city:
        conditions.append(Event.city_code == filters.city)
    if filters.activity_type:
        conditions.append(Event.activity_type == filters.activity_type)
    if filters.date_from:
        conditions.append(Event.starts_at >= _local_midnight(filters.date_from))
    if filters.date_to:
        conditions.append(Event.starts_at < _local_midnight(filters.date_to + timedelta(days=1)))
    return conditions


def _event_rows(session: Session, conditions: list[ColumnElement[bool]]) -> list[EventRow]:
    query = (
        select(*_ROW_COLUMNS)
        .join(City, City.code == Event.city_code)
        .where(*conditions)
        .order_by(Event.starts_at, Event.id)
    )
    return [EventRow(*row) for row in session.execute(query)]


#: The languages of the exports' title columns, in the order they are written.
TITLE_LANGUAGES = ("ky", "ru", "en")


def _titled_rows(session: Session, conditions: list[ColumnElement[bool]]) -> list[EventRow]:
    """`_event_rows` for thousands of events: on the connection (plain rows), and each
    language's title read as text by the database, not every title parsed from JSON here.
    The titles hold the export's languages only, which is all an export writes."""
    titles = [Event.title[language].as_string() for language in TITLE_LANGUAGES]
    query = (
        select(*titles, *(column for column in _ROW_COLUMNS if column is not Event.title))
        .join(City, City.code == Event.city_code)
        .where(*conditions)
        .order_by(Event.starts_at, Event.id)
    )
    count = len(TITLE_LANGUAGES)
    return [
        EventRow(
            row[count],
            {
                language: text
                for language, text in zip(TITLE_LANGUAGES, row[:count], strict=True)
                if text is not None
            },
            *row[count + 1 :],
        )
        for row in session.connection().execute(query).all()
    ]


# ------------------------------------------------------------------ the aggregates


_NO_INVITATIONS = InvitationTally()


@dataclass(frozen=True)
class _Figures:
    """The figures of a set of events, summed by the database (`sums.py`)."""

    tallies: dict[uuid.UUID, InvitationTally]
    survey: dict[uuid.UUID | None, SurveyFigures]

    def of(self, event_id: uuid.UUID) -> tuple[InvitationTally, SurveyFigures]:
        survey = self.survey.get(event_id)
        return self.tallies.get(event_id, _NO_INVITATIONS), survey or no_answers()


def _figures(
    session: Session,
    actor: Actor,
    scope: Select[uuid.UUID],
    community: Community | None,
    *,
    by_event: bool,
) -> _Figures:
    # Coordinators and administrators read the invitations one by one anyway; viewers read
    # aggregates only, so only for them are the invitation counts protected.
    return _Figures(
        tallies=invitation_tallies(session, scope, community, protect=actor.role is Role.VIEWER),
        survey=survey_figures(session, scope, community, by_event=by_event),
    )


# ------------------------------------------------------------------ the reports


def _event_report(row: EventRow, figures: _Figures) -> EventReport:
    invitations, survey = figures.of(row.id)
    local = row.starts_at.astimezone(ZoneInfo(row.timezone))
    return EventReport(
        event_id=row.id,
        title=row.title,
        city=row.city,
        activity_type=row.activity_type,
        status=row.status,
        starts_at=row.starts_at,
        start_date_local=local.date(),
        start_time_local=local.strftime("%H:%M"),
        venue_name=row.venue_name,
        venue_address=row.venue_address,
        capacity=row.capacity,
        invitations=invitations.counts(),
        survey=survey,
        mix=mix(invitations, min_share=row.min_share),
    )


def event_report(*, session: Session, actor: Actor, event_id: uuid.UUID) -> EventReport:
    """One event's figures; a 404 for an unknown event or one in another city."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    row = EventRow(
        id=event.id,
        title=event.title,
        city=event.city_code,
        activity_type=event.activity_type,
        status=event.status,
        starts_at=event.starts_at,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        capacity=event.capacity,
        min_share=event.min_share,
        timezone=event.city.timezone,
    )
    scope = select(Event.id).where(Event.id == event.id)
    return _event_report(row, _figures(session, actor, scope, None, by_event=True))


def event_reports(*, session: Session, actor: Actor, filters: ReportFilter) -> list[EventReport]:
    """One report per event in the filters, by start time: the rows of the exports."""
    _check(session, filters)
    conditions = _event_conditions(actor, filters)
    scope = select(Event.id).where(*conditions)
    figures = _figures(session, actor, scope, filters.community, by_event=True)
    return [_event_report(row, figures) for row in _event_rows(session, conditions)]


@dataclass(frozen=True)
class EventValues:
    """One event's report as plain values: what the exports write, without the models."""

    row: EventRow
    invitations: InvitationTally
    survey: SurveyValues


def event_values(*, session: Session, actor: Actor, filters: ReportFilter) -> list[EventValues]:
    """`event_reports` as plain values, by start time, for the exports: the same sums and
    suppression (`figures.py` defines both), without the rating distribution, which no
    export column holds, and without building and validating a model per event."""
    _check(session, filters)
    conditions = _event_conditions(actor, filters)
    scope = select(Event.id).where(*conditions)
    protect = actor.role is Role.VIEWER
    tallies = invitation_tallies(session, scope, filters.community, protect=protect)
    survey = survey_values(session, scope, filters.community)
    return [
        EventValues(
            row=row,
            invitations=tallies.get(row.id, _NO_INVITATIONS),
            survey=survey.get(row.id, NO_VALUES),
        )
        for row in _titled_rows(session, conditions)
    ]


@dataclass(frozen=True)
class EventReportPage:
    """One page of event reports, newest first, and the cursors of its neighbours."""

    items: list[EventReport]
    next_cursor: str | None  # older events
    previous_cursor: str | None  # newer events


def _page_rows(
    session: Session,
    conditions: list[ColumnElement[bool]],
    *,
    limit: int,
    after: str | None,
    before: str | None,
) -> tuple[list[EventRow], bool, bool]:
    """A page of event rows, newest first; whether older and newer events lie beyond it."""
    if after and before:
        raise invalid("cursor", "give either a next or a previous cursor, not both")
    query = select(*_ROW_COLUMNS).join(City, City.code == Event.city_code).where(*conditions)
    if before:
        # A previous page: the events just newer than the cursor, read upwards then turned.
        moment, event_id = decode_cursor(before)
        query = query.where(
            or_(Event.starts_at > moment, and_(Event.starts_at == moment, Event.id > event_id))
        ).order_by(Event.starts_at, Event.id)
        rows = [EventRow(*row) for row in session.execute(query.limit(limit + 1))]
        return list(reversed(rows[:limit])), True, len(rows) > limit
    if after:
        moment, event_id = decode_cursor(after)
        query = query.where(
            or_(Event.starts_at < moment, and_(Event.starts_at == moment, Event.id < event_id))
        )
    query = query.order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit + 1)
    rows = [EventRow(*row) for row in session.execute(query)]
    return rows[:limit], len(rows) > limit, after is not None


def event_reports_page(
    *,
    session: Session,
    actor: Actor,
    filters: ReportFilter,
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> EventReportPage:
    """One page of `event_reports`, newest first; cells are counted for its events only.

    `after` is a page's `next_cursor` (older events), `before` its `previous_cursor`. The
    cells and their suppression are those of every other report: a cell is one event × one
    community, whichever page shows the event.
    """
    _check(session, filters)
    conditions = _event_conditions(actor, filters)
    rows, older, newer = _page_rows(session, conditions, limit=limit, after=after, before=before)
    if not rows:
        return EventReportPage(items=[], next_cursor=None, previous_cursor=None)
    scope = select(Event.id).where(Event.id.in_([row.id for row in rows]))
    figures = _figures(session, actor, scope, filters.community, by_event=True)
    return EventReportPage(
        items=[_event_report(row, figures) for row in rows],
        next_cursor=encode_cursor(rows[-1].starts_at, rows[-1].id) if older else None,
        previous_cursor=encode_cursor(rows[0].starts_at, rows[0].id) if newer else None,
    )


def summary_report(*, session: Session, actor: Actor, filters: ReportFilter) -> SummaryReport:
    """The figures over every event in the filters and the caller's cities.

    Each room's mix is judged against its own band, so the invitation counts come per kind
    of room (`sums.invitation_rooms`), summed by the database, never per event here.
    """
    _check(session, filters)
    conditions = _event_conditions(actor, filters)
    scope = select(Event.id).where(*conditions)
    events = session.connection().execute(select(func.count()).where(*conditions)).scalar_one()
    rooms = invitation_rooms(session, scope, filters.community, protect=actor.role is Role.VIEWER)
    survey = survey_figures(session, scope, filters.community, by_event=False)
    return SummaryReport(
        filters=filters.echo(),
        events=events,
        invitations=InvitationTally.sum_of(kind.tally for kind in rooms).counts(),
        survey=survey[None],
        mix=mix_summary_of_rooms(rooms),
        wave_changes=wave_changes(session, scope, filters.community),
    )


# ------------------------------------------------------------------ retention review


def review_page(
    *,
    session: Session,
    now: datetime,
    review_after_days: int,
    city: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ReviewItem], str | None]:
    """Participants not invited for `review_after_days`, oldest registration first."""
    if city is not None and session.get(City, city) is None:
        raise invalid("city", f"unknown city {city!r}", type_="unknown-city")
    cutoff = review_cutoff(now=now, review_after_days=review_after_days)
    query = select(
        Participant.id,
        Participant.city_code,
        Participant.created_at,
        last_invited_at().label("last_invited_at"),
    ).where(due_for_review(cutoff=cutoff))
    if city is not None:
        query = query.where(Participant.city_code == city)
    if cursor:
        after_created, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Participant.created_at > after_created,
                and_(Participant.created_at == after_created, Participant.id > after_id),
            )
        )
    rows = session.execute(
        query.order_by(Participant.created_at, Participant.id).limit(limit + 1)
    ).all()
    zone = ZoneInfo(BISHKEK_TZ)
    items = [
        ReviewItem(
            participant_id=row.id,
            city=row.city_code,
            # Dates, not times: enough to decide on, and less to learn about anyone.
            registered_on=row.created_at.astimezone(zone).date(),
            last_invited_on=row.last_invited_at.astimezone(zone).date()
            if row.last_invited_at
            else None,
        )
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return items, encode_cursor(last.created_at, last.id) if last else None
