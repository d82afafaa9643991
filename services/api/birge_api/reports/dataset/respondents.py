"""The dataset's rows: each respondent of each event, with their answers, after suppression.

Answers are read a hundred events at a time (the covering index serves each read), so only
those events' answers are held at once, however many answers there are. For each event:

- the answers of erased participants are left out: the stored pseudonym is a keyed hash of
  the participant id, so the erased ids give the pseudonyms to drop. The aggregate reports
  keep counting them; the row-level dataset keeps no trace of them.
- a respondent is one stored pseudonym with at least one answer in a wave of `WAVES`; their
  community is the one they answered as at the latest of those waves.
- small cells are dropped whole: a row-level file cannot leave out a figure, so the unit
  of suppression is the cell (`reports/cells.py`), one event × one community. A cell with
  fewer than `MIN_RESPONDENTS` respondents is left out of the dataset with all its answers.
  Every filter selects whole cells, so any two exports differ by whole cells of at least that
  many people, and no difference of exports isolates fewer.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.problems import invalid
from birge_api.reports.dataset.registry import ITEMS, WAVE_CODES, EventFacts, Missing, items_of
from birge_api.reports.service import ReportFilter
from birge_shared.models import City, Community, Event, EventStatus, Participant, SurveyResponse
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.pseudonyms import pseudonym
from birge_shared.statistics import MIN_RESPONDENTS

#: Events whose answers are read in one query: a few tens of thousands of rows at most,
#: each query an index-only scan of `ix_survey_response_event_kind_pseudonym`.
EVENTS_AT_ONCE = 100
#: The answer columns the items read, each once.
_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(item.column for item in ITEMS))


@dataclass(frozen=True)
class Respondent:
    event: int  # the index of the event in the export's list
    pseudonym: str  # the stored one: replaced by a re-keyed number before anything is written
    community: Community | None
    #: wave code → item code → coded answer (`Missing.NOT_ANSWERED` for a skipped item)
    answers: Mapping[str, Mapping[str, int]]


def _local_midnight(day: date) -> datetime:
    # Reporting periods are local dates; both cities keep Bishkek time, as in the reports.
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(BISHKEK_TZ))


def _conditions(actor: Actor, filters: ReportFilter) -> list[ColumnElement[bool]]:
    """The events the summary report would count for this reader and these filters."""
    conditions: list[ColumnElement[bool]] = [Event.status != EventStatus.CANCELLED]
    if actor.cities is not None:
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


def check_filters(session: Session, filters: ReportFilter) -> None:
    if filters.city is not None and session.get(City, filters.city) is None:
        raise invalid("city", f"unknown city {filters.city!r}", type_="unknown-city")
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise invalid("to", "must not be before from")


def events_in_scope(*, session: Session, actor: Actor, filters: ReportFilter) -> list[EventFacts]:
    query = (
        select(Event.id, Event.title, Event.city_code, Event.activity_type, Event.starts_at)
        .add_columns(City.timezone)
        .join(City, City.code == Event.city_code)
        .where(*_conditions(actor, filters))
        .order_by(Event.starts_at, Event.id)
    )
    return [
        EventFacts(
            id=str(event_id),
            titles=dict(title or {}),
            city=city,
            activity_type=activity,
            start_date=starts_at.astimezone(ZoneInfo(timezone)).date(),
        )
        for event_id, title, city, activity, starts_at, timezone in session.execute(query)
    ]


def erased_pseudonyms(session: Session) -> frozenset[str]:
    ids = session.scalars(select(Participant.id).where(Participant.erased_at.is_not(None)))
    return frozenset(pseudonym(participant_id) for participant_id in ids)


def _coded(row: Mapping[str, Any], wave: str) -> dict[str, int]:
    return {item.code: item.code_of(row[item.column]) for item in items_of(wave)}


def _respondent(event: int, key: str, waves: Mapping[str, Mapping[str, Any]]) -> Respondent | None:
    answered = [wave for wave in WAVE_CODES if wave in waves]
    if not answered:
        return None
    return Respondent(
        event=event,
        pseudonym=key,
        community=waves[answered[-1]]["community"],
        answers={wave: _coded(waves[wave], wave) for wave in answered},
    )


def _kept(people: list[Respondent], community: Community | None) -> list[Respondent]:
    """The event's respondents in the filter's community, from cells large enough only."""
    wanted = [person for person in people if community is None or person.community is community]
    sizes = Counter(person.community for person in wanted)
    return [person for person in wanted if sizes[person.community] >= MIN_RESPONDENTS]


def respondents(
    *, session: Session, filters: ReportFilter, events: list[EventFacts], erased: frozenset[str]
) -> Iterator[list[Respondent]]:
    """Each event's kept respondents, event by event in the order of `events`."""
    columns = (
        SurveyResponse.event_id,
        SurveyResponse.pseudonym,
        SurveyResponse.kind,
        SurveyResponse.community,
        *(getattr(SurveyResponse, column) for column in _COLUMNS),
    )
    for first in range(0, len(events), EVENTS_AT_ONCE):
        chunk = events[first : first + EVENTS_AT_ONCE]
        ids = [uuid.UUID(facts.id) for facts in chunk]
        # event → stored pseudonym → wave → answer row
        answers: dict[uuid.UUID, dict[str, dict[str, dict[str, Any]]]] = {}
        rows = session.execute(
            select(*columns).where(
                SurveyResponse.event_id.in_(ids), SurveyResponse.kind.in_(WAVE_CODES)
            )
        ).mappings()
        for row in rows:
            if row["pseudonym"] not in erased:
                people = answers.setdefault(row["event_id"], {})
                people.setdefault(row["pseudonym"], {})[row["kind"]] = dict(row)
        for number, event_id in enumerate(ids, start=first):
            found = [
                person
                for key, waves in answers.get(event_id, {}).items()
                if (person := _respondent(number, key, waves)) is not None
            ]
            kept = _kept(found, filters.community)
            if kept:
                yield kept


def absent(wave: str) -> dict[str, int]:
    """A wave the respondent did not answer, for the wide file."""
    return {item.code: int(Missing.WAVE_NOT_ANSWERED) for item in items_of(wave)}
