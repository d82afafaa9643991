"""The report figures summed by the database from the rollups, cell rules applied in SQL.

`cells.py` states the small-cell rules over Python tallies; here the same rules are written as
conditions on the rollup rows (`birge_shared.rollups`), so a report over thousands of events
reads a few sums instead of every cell. Most survey rules need one row only — a cell's rating
moments row holds the cell's rating count, so "at least five ratings" is a condition on that
row — and are summed in one pass. The rating distribution is the `at_…` columns of the same
moments row, and the invitation counts are one row per cell (`invitation_rollup`). The
property test checks the figures against `cells.py` computed from the raw rows.

Each query sums per event (`by_event`) or over all the events of the scope; the invitation
counts of a summary are summed per kind of room (`invitation_rooms`), since each room's mix is
judged against its own band. The exports read plain values (`survey_values`), not models.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from birge_api.reports.figures import (
    RATINGS,
    ChangeSums,
    ChangeValues,
    InvitationTally,
    Rooms,
    attitude_change,
    change_values,
    figure,
    figure_values,
    rating_distribution,
)
from birge_api.reports.schemas import SurveyFigures
from birge_shared import rollups
from birge_shared.models import Community, Event, InvitationStatus
from birge_shared.models import InvitationRollup as Invitations
from birge_shared.models import ReportRollup as Rollup
from birge_shared.statistics import MIN_RESPONDENTS
from birge_shared.surveys import SurveyKind

S = InvitationStatus
#: A query of any columns.
AnySelect = Select[*tuple[Any, ...]]
#: The key of a group's sums: an event, or None for the whole scope.
Group = uuid.UUID | None
_POST = SurveyKind.POST.value
_PAIR = rollups.PAIRED_ITEMS[0]  # the attitude, pre → post
_HOST, _MIGRANT = Community.HOST.value, Community.MIGRANT.value


def _sum(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    # SUM(x) FILTER (WHERE …) (PostgreSQL, SQLite 3.30+) skips the other rows instead of
    # adding a CASE's zero for each. As a bigint: PostgreSQL sums bigints as numeric, which
    # the driver reads as slow Decimals.
    return cast(func.coalesce(func.sum(value).filter(condition), 0), BigInteger)


def _large(count: Any) -> ColumnElement[bool]:
    """Zero or at least MIN_RESPONDENTS (`cells.large`)."""
    return or_(count == 0, count >= MIN_RESPONDENTS)


def _of_community(column: Any, community: Community | None) -> list[ColumnElement[bool]]:
    return [] if community is None else [column == community.value]


def _grouped(query: AnySelect, event_id: Any, by_event: bool) -> AnySelect:
    return query.add_columns(event_id).group_by(event_id) if by_event else query


def _rows(session: Session, query: AnySelect, by_event: bool) -> dict[Group, Sequence[Any]]:
    # The group's event id comes last (added by `_grouped`); on the connection, plain rows.
    return {
        (row[-1] if by_event else None): row[:-1] if by_event else row
        for row in session.connection().execute(query).all()
    }


# ------------------------------------------------------------------ survey


def _moments(
    session: Session, scope: Select[uuid.UUID], community: Community | None, by_event: bool
) -> dict[Group, Sequence[Any]]:
    """Rating, cross-group and pair sums over the cells large enough for each (one row each)."""
    large = Rollup.n >= MIN_RESPONDENTS
    rating = and_(Rollup.item == rollups.RATING.code, Rollup.wave == _POST, large)
    talk = and_(Rollup.item == rollups.CROSS_GROUP_TALK.code, Rollup.wave == _POST, large)
    pair = and_(Rollup.item == _PAIR.item.code, Rollup.wave == _PAIR.wave, large)
    query = select(
        _sum(rating, Rollup.n),
        _sum(rating, Rollup.total),
        _sum(talk, Rollup.n),
        _sum(talk, Rollup.total),
        _sum(pair, Rollup.n),
        _sum(pair, Rollup.total),
        _sum(pair, Rollup.squares),
        _sum(pair, Rollup.positive),
    ).where(
        Rollup.event_id.in_(scope),
        Rollup.value == rollups.ALL_VALUES,
        or_(
            and_(
                Rollup.item.in_([rollups.RATING.code, rollups.CROSS_GROUP_TALK.code]),
                Rollup.wave == _POST,
            ),
            and_(Rollup.item == _PAIR.item.code, Rollup.wave == _PAIR.wave),
        ),
        *_of_community(Rollup.community, community),
    )
    return _rows(session, _grouped(query, Rollup.event_id, by_event), by_event)


def _distribution(
    session: Session, scope: Select[uuid.UUID], community: Community | None, by_event: bool
) -> dict[Group, Sequence[Any]]:
    """Counts per rating over the cells with five ratings or more and no count from 1 to 4:
    the columns of each cell's rating moments row, one row per cell."""
    counts = [Rollup.__table__.c[column] for column in rollups.COUNT_COLUMNS]
    query = select(*(_sum(literal(True), column) for column in counts)).where(
        Rollup.event_id.in_(scope),
        Rollup.item == rollups.RATING.code,
        Rollup.wave == _POST,
        Rollup.value == rollups.ALL_VALUES,
        Rollup.n >= MIN_RESPONDENTS,
        *(_large(column) for column in counts),
        *_of_community(Rollup.community, community),
    )
    return _rows(session, _grouped(query, Rollup.event_id, by_event), by_event)


def _response(
    session: Session, scope: Select[uuid.UUID], community: Community | None, by_event: bool
) -> dict[Group, Sequence[Any]]:
    """Respondents and attendees over the cells with five respondents or more and no
    attendee count from 1 to 4 (the attendees of the cell's community, by invitation)."""
    answered = Rollup
    attendees = func.coalesce(Invitations.attended, 0)
    query = (
        select(_sum(literal(True), answered.n), _sum(literal(True), attendees))
        .outerjoin(
            Invitations,
            and_(
                Invitations.event_id == answered.event_id,
                Invitations.community == answered.community,
            ),
        )
        .where(
            answered.event_id.in_(scope),
            answered.item == rollups.RESPONSE,
            answered.wave == _POST,
            answered.value == rollups.ALL_VALUES,
            answered.n >= MIN_RESPONDENTS,
            _large(attendees),
            *_of_community(answered.community, community),
        )
    )
    return _rows(session, _grouped(query, answered.event_id, by_event), by_event)


_NO_MOMENTS = (0,) * 8
_NO_COUNTS = (0,) * len(RATINGS)


def _figures(
    moments: Sequence[Any], counts: Sequence[Any], responses: Sequence[Any]
) -> SurveyFigures:
    rating_n, rating_sum, talk_n, talk_yes, pairs_n, change_sum, squares, positive = (
        int(value) for value in moments
    )
    answered, attendees = (int(value) for value in responses)
    return SurveyFigures(
        response_rate=figure(answered, attendees, n=answered),
        mean_rating=figure(rating_sum, rating_n, n=rating_n),
        rating_distribution=rating_distribution([tuple(int(value) for value in counts)]),
        cross_group_talk_share=figure(talk_yes, talk_n, n=talk_n),
        attitude_change=attitude_change(ChangeSums(pairs_n, change_sum, squares, positive)),
    )


#: An event's survey figures as plain values, in the export's order: response rate and
#: respondents, mean rating and its n, cross-group share and its n, then the attitude change.
SurveyValues = tuple[
    float | None, int | None, float | None, int | None, float | None, int | None, *ChangeValues
]


def _values(moments: Sequence[Any], responses: Sequence[Any]) -> SurveyValues:
    """The figures of `_figures` but the rating distribution, as plain values."""
    rating_n, rating_sum, talk_n, talk_yes, pairs_n, change_sum, squares, _ = (
        int(value) for value in moments
    )
    answered, attendees = (int(value) for value in responses)
    return (
        *figure_values(answered, attendees, n=answered),
        *figure_values(rating_sum, rating_n, n=rating_n),
        *figure_values(talk_yes, talk_n, n=talk_n),
        *change_values(ChangeSums(pairs_n, change_sum, squares)),
    )


NO_VALUES: SurveyValues = _values(_NO_MOMENTS, (0, 0))


def survey_values(
    session: Session, scope: Select[uuid.UUID], community: Community | None
) -> dict[uuid.UUID, SurveyValues]:
    """Per event of the scope with answers, its survey figures as plain values, without the
    rating distribution (the exports' columns): two queries, no model built per event."""
    moments = _moments(session, scope, community, by_event=True)
    responses = _response(session, scope, community, by_event=True)
    return {
        event_id: _values(moments.get(event_id, _NO_MOMENTS), responses.get(event_id, (0, 0)))
        for event_id in (set(moments) | set(responses))
        if event_id is not None
    }


@functools.cache
def no_answers() -> SurveyFigures:
    """The figures of an event nobody answered for: every one suppressed (one shared copy,
    never changed: an export holds thousands of events without answers)."""
    return _figures(_NO_MOMENTS, _NO_COUNTS, (0, 0))


def survey_figures(
    session: Session, scope: Select[uuid.UUID], community: Community | None, *, by_event: bool
) -> dict[Group, SurveyFigures]:
    """The survey figures per event of the scope (those with answers), or over all of it."""
    moments = _moments(session, scope, community, by_event)
    counts = _distribution(session, scope, community, by_event)
    responses = _response(session, scope, community, by_event)
    groups = set(moments) | set(counts) | set(responses) if by_event else {None}
    return {
        group: _figures(
            moments.get(group, _NO_MOMENTS),
            counts.get(group, _NO_COUNTS),
            responses.get(group, (0, 0)),
        )
        for group in groups
    }


# ------------------------------------------------------------------ invitations


def _tally_query(
    scope: Select[uuid.UUID], community: Community | None, *, protect: bool
) -> AnySelect:
    """Per event, the columns of an `InvitationTally` in its order (`cells.invitation_tally`),
    then the event id; with `protect`, the cells with a status count from 1 to 4 are
    withheld from every count and from the mix."""

    # The five disjoint counts of each cell that has any invitation, in any status.
    c = Invitations
    unanswered = c.sent + c.expired
    parts = (unanswered, c.accepted, c.declined, c.attended, c.no_show)
    shown: ColumnElement[bool] = (
        and_(*(_large(part) for part in parts)) if protect else literal(True)
    )
    wanted: ColumnElement[bool] = (
        literal(True) if community is None else c.community == community.value
    )
    counted_cell = and_(wanted, shown)
    yes = c.accepted + c.attended + c.no_show
    host = and_(c.community == _HOST, shown)
    migrant = and_(c.community == _MIGRANT, shown)
    columns = (
        _sum(counted_cell, unanswered + yes + c.declined),
        _sum(counted_cell, yes),
        _sum(counted_cell, c.declined),
        _sum(counted_cell, c.attended),
        _sum(counted_cell, c.no_show),
        _sum(host, c.attended),
        _sum(migrant, c.attended),
        _sum(host, yes),
        _sum(migrant, yes),
        _sum(shown, c.attended + c.no_show),
        _sum(counted_cell, 1),
        _sum(and_(wanted, ~shown), 1),
        func.max(case((and_(c.community.in_([_HOST, _MIGRANT]), ~shown), 1), else_=0)),
    )
    return (
        select(*(column.label(name) for column, name in zip(columns, _TALLY, strict=True)))
        .add_columns(c.event_id)
        .where(
            c.event_id.in_(scope),
            functools.reduce(operator.add, (getattr(c, status) for status in rollups.STATUSES)) > 0,
        )
        .group_by(c.event_id)
    )


_TALLY = tuple(item.name for item in dataclasses.fields(InvitationTally))


def invitation_tallies(
    session: Session, scope: Select[uuid.UUID], community: Community | None, *, protect: bool
) -> dict[uuid.UUID, InvitationTally]:
    """Per event, the invitation counts (`cells.invitation_tally`); with `protect`, the cells
    with a status count from 1 to 4 are withheld from every count and from the mix."""
    query = _tally_query(scope, community, protect=protect)
    tallies: dict[uuid.UUID, InvitationTally] = {}
    for *counts, event_id in session.connection().execute(query).all():
        tallies[event_id] = InvitationTally(*(int(value) for value in counts))
    return tallies


def invitation_rooms(
    session: Session, scope: Select[uuid.UUID], community: Community | None, *, protect: bool
) -> list[Rooms]:
    """The invitation tallies of `invitation_tallies` summed in SQL per kind of room: per
    mix basis counts (host, migrant), band and withheld mix, so a summary over thousands of
    events reads a few hundred rows. Events without invitations add nothing to a summary."""
    tally = _tally_query(scope, community, protect=protect).subquery()
    taken = tally.c.attendance_taken > 0
    host = case((taken, tally.c.attended_host), else_=tally.c.accepted_host)
    migrant = case((taken, tally.c.attended_migrant), else_=tally.c.accepted_migrant)
    keys = (host, migrant, Event.min_share, tally.c.mix_withheld)
    query = (
        select(
            *(cast(func.sum(tally.c[name]), BigInteger) for name in _TALLY),
            *keys,
            func.count(),
        )
        .join(Event, Event.id == tally.c.event_id)
        .group_by(*keys)
    )
    width = len(_TALLY)
    return [
        Rooms(
            tally=InvitationTally(*(int(value) for value in row[:width])),
            host=int(row[width]),
            migrant=int(row[width + 1]),
            min_share=float(row[width + 2]),
            withheld=bool(row[width + 3]),
            events=int(row[width + 4]),
        )
        for row in session.connection().execute(query).all()
    ]
