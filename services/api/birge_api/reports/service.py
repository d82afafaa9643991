"""Impact reports: SQL aggregates per event and over the caller's events.

The database counts and sums (GROUP BY); Python only turns those tallies into figures. The
attitude pairs come back as distinct (pre, post) values with their counts, so no answer row is
ever loaded one by one, and nothing that could identify a person leaves the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from birge_api.deps import Actor
from birge_api.events.service import get_event
from birge_api.pagination import decode_cursor, encode_cursor
from birge_api.problems import invalid
from birge_api.reports.figures import (
    InvitationTally,
    SurveyTally,
    mix,
    mix_summary,
    survey_figures,
)
from birge_api.reports.schemas import (
    EventReport,
    ReviewItem,
    SummaryFilters,
    SummaryReport,
)
from birge_shared.models import (
    ActivityType,
    City,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Participant,
    SurveyResponse,
)
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.retention import due_for_review, last_invited_at, review_cutoff

S = InvitationStatus
INVITED = (S.SENT, S.ACCEPTED, S.DECLINED, S.EXPIRED, S.ATTENDED, S.NO_SHOW)
ACCEPTED = (S.ACCEPTED, S.ATTENDED, S.NO_SHOW)
ATTENDANCE_TAKEN = (S.ATTENDED, S.NO_SHOW)
PRE, POST = "pre", "post"


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
    city: str
    activity_type: ActivityType
    status: EventStatus
    starts_at: datetime
    capacity: int
    min_share: float
    timezone: str


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
        select(
            Event.id,
            Event.city_code,
            Event.activity_type,
            Event.status,
            Event.starts_at,
            Event.capacity,
            Event.min_share,
            City.timezone,
        )
        .join(City, City.code == Event.city_code)
        .where(*conditions)
        .order_by(Event.starts_at, Event.id)
    )
    return [EventRow(*row) for row in session.execute(query)]


# ------------------------------------------------------------------ the aggregates


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # COUNT(CASE WHEN … THEN 1 END): one pass, portable to SQLite (no FILTER clause needed).
    return func.count(case((condition, 1)))


def _invitation_tallies(
    session: Session, scope: Select[uuid.UUID], community: Community | None
) -> dict[uuid.UUID, InvitationTally]:
    status = Invitation.status
    own = Participant.community == community if community else None

    def counted(statuses: tuple[InvitationStatus, ...]) -> ColumnElement[int]:
        condition = status.in_(statuses)
        return _count_where(and_(condition, own) if own is not None else condition)

    def room(statuses: tuple[InvitationStatus, ...], who: Community) -> ColumnElement[int]:
        return _count_where(and_(status.in_(statuses), Participant.community == who))

    query = (
        select(
            Invitation.event_id,
            counted(INVITED),
            counted(ACCEPTED),
            counted((S.DECLINED,)),
            counted((S.ATTENDED,)),
            counted((S.NO_SHOW,)),
            room((S.ATTENDED,), Community.HOST),
            room((S.ATTENDED,), Community.MIGRANT),
            room(ACCEPTED, Community.HOST),
            room(ACCEPTED, Community.MIGRANT),
            _count_where(status.in_(ATTENDANCE_TAKEN)),
        )
        .join(Participant, Participant.id == Invitation.participant_id)
        .where(Invitation.event_id.in_(scope))
        .group_by(Invitation.event_id)
    )
    return {row[0]: InvitationTally(*row[1:]) for row in session.execute(query)}


def _survey_tallies(
    session: Session,
    scope: Select[uuid.UUID],
    community: Community | None,
    *,
    by_event: bool,
) -> dict[uuid.UUID | None, SurveyTally]:
    """Post-survey sums and attitude pairs, per event or (key None) over the whole scope."""
    answer = SurveyResponse
    figures: list[ColumnElement[int]] = [
        func.count(),
        func.count(answer.rating),
        func.coalesce(func.sum(answer.rating), 0),
        func.count(answer.cross_group_talk),
        _count_where(answer.cross_group_talk.is_(True)),
    ]
    sums = (
        select(answer.event_id, *figures).group_by(answer.event_id)
        if by_event
        else select(*figures)
    ).where(answer.event_id.in_(scope), answer.kind == POST)
    if community:
        sums = sums.where(answer.community == community)

    tallies: dict[uuid.UUID | None, SurveyTally] = {}
    for row in session.execute(sums):
        key: uuid.UUID | None = row[0] if by_event else None
        respondents, rating_n, rating_sum, talk_n, talk_yes = (
            int(value) for value in (row[1:] if by_event else row)
        )
        if respondents:  # the ungrouped query returns one row even when nobody answered
            tallies[key] = SurveyTally(respondents, rating_n, rating_sum, talk_n, talk_yes)

    pre, post = aliased(SurveyResponse), aliased(SurveyResponse)
    group = [post.event_id] if by_event else []
    pairs = (
        select(*group, pre.attitude, post.attitude, func.count())
        .join(
            pre,
            and_(
                pre.event_id == post.event_id,
                pre.pseudonym == post.pseudonym,
                pre.kind == PRE,
            ),
        )
        .where(
            post.event_id.in_(scope),
            post.kind == POST,
            post.attitude.is_not(None),
            pre.attitude.is_not(None),
        )
        .group_by(*group, pre.attitude, post.attitude)
    )
    if community:
        # The community the post answer was given as, like every other survey figure.
        pairs = pairs.where(post.community == community)
    for row in session.execute(pairs):
        event_key = row[0] if by_event else None
        before, after, count = row[-3], row[-2], row[-1]
        tally = tallies.setdefault(event_key, SurveyTally())
        tally.pairs[(int(before), int(after))] += int(count)
    return tallies


# ------------------------------------------------------------------ the reports


def _event_report(row: EventRow, invitations: InvitationTally, survey: SurveyTally) -> EventReport:
    return EventReport(
        event_id=row.id,
        city=row.city,
        activity_type=row.activity_type,
        status=row.status,
        starts_at=row.starts_at,
        start_date_local=row.starts_at.astimezone(ZoneInfo(row.timezone)).date(),
        capacity=row.capacity,
        invitations=invitations.counts(),
        survey=survey_figures(survey, attended=invitations.attended),
        mix=mix(invitations, min_share=row.min_share),
    )


def event_report(*, session: Session, actor: Actor, event_id: uuid.UUID) -> EventReport:
    """One event's figures; a 404 for an unknown event or one in another city."""
    event = get_event(session=session, actor=actor, event_id=event_id)
    row = EventRow(
        id=event.id,
        city=event.city_code,
        activity_type=event.activity_type,
        status=event.status,
        starts_at=event.starts_at,
        capacity=event.capacity,
        min_share=event.min_share,
        timezone=event.city.timezone,
    )
    scope = select(Event.id).where(Event.id == event.id)
    invitations = _invitation_tallies(session, scope, None).get(event.id, InvitationTally())
    survey = _survey_tallies(session, scope, None, by_event=True).get(event.id, SurveyTally())
    return _event_report(row, invitations, survey)


def event_reports(*, session: Session, actor: Actor, filters: ReportFilter) -> list[EventReport]:
    """One report per event in the filters, by start time: the rows of the exports."""
    _check(session, filters)
    conditions = _event_conditions(actor, filters)
    scope = select(Event.id).where(*conditions)
    invitations = _invitation_tallies(session, scope, filters.community)
    surveys = _survey_tallies(session, scope, filters.community, by_event=True)
    return [
        _event_report(
            row, invitations.get(row.id, InvitationTally()), surveys.get(row.id, SurveyTally())
        )
        for row in _event_rows(session, conditions)
    ]


def summary_report(*, session: Session, actor: Actor, filters: ReportFilter) -> SummaryReport:
    """The figures over every event in the filters and the caller's cities."""
    _check(session, filters)
    conditions = _event_conditions(actor, filters)
    scope = select(Event.id).where(*conditions)
    shares = {
        row[0]: row[1]
        for row in session.execute(select(Event.id, Event.min_share).where(*conditions))
    }
    # Per event, because each room's mix is judged against its own band.
    per_event = _invitation_tallies(session, scope, filters.community)
    total = InvitationTally()
    for tally in per_event.values():
        total = total.plus(tally)
    survey = _survey_tallies(session, scope, filters.community, by_event=False).get(
        None, SurveyTally()
    )
    return SummaryReport(
        filters=filters.echo(),
        events=len(shares),
        invitations=total.counts(),
        survey=survey_figures(survey, attended=total.attended),
        mix=mix_summary([(tally, shares[event_id]) for event_id, tally in per_event.items()]),
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
