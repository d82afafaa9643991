"""Random programmes of writes for the rollup property tests, and the figures from raw rows.

A programme is a list of steps through the services that write in production — survey answers
on either channel, attendance marked and taken back, a door check-in, invitation answers and
expiry as the other writers leave them, a community corrected, erasure, the retention purge.
After it, every figure the reports sum from `report_rollup` must equal the figure the rules of
`cells.py` give over the cells counted here, in Python, from the answer and invitation rows.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.attendance.schemas import AttendanceUpdate
from birge_api.attendance.service import mark_attendance
from birge_api.deps import Actor
from birge_api.participants.service import erase_participant
from birge_api.problems import Problem
from birge_api.reports.cells import (
    CellKey,
    StatusCell,
    invitation_tally,
    survey_figures_of_cells,
)
from birge_api.reports.figures import (
    RATINGS,
    ChangeSums,
    InvitationTally,
    SurveyTally,
    mix_summary,
    mix_summary_of_rooms,
)
from birge_api.reports.schemas import SurveyFigures
from birge_api.reports.sums import (
    NO_VALUES,
    SurveyValues,
    invitation_rooms,
    invitation_tallies,
    no_answers,
    survey_figures,
    survey_values,
)
from birge_shared import rollups, survey_items
from birge_shared.models import (
    Community,
    Event,
    Invitation,
    InvitationStatus,
    Participant,
    SurveyResponse,
)
from birge_shared.models import ReportRollup as Rollup
from birge_shared.surveys import (
    COLUMNS,
    QUESTIONS,
    SCALES,
    Channel,
    Question,
    SurveyKind,
    questions_of,
    record_answers,
)
from birge_workers.retention import purge_expired
from tests.factories import make_event, make_invitation, make_participant

S = InvitationStatus
PEOPLE = 8
EVENTS = 2
COMMUNITIES = (Community.HOST, Community.MIGRANT, None)

person = st.integers(0, PEOPLE - 1)
event = st.integers(0, EVENTS - 1)


@st.composite
def _answer(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(list(SurveyKind)))
    asked = sorted(set(QUESTIONS[kind]) | set(questions_of(kind, ATTITUDE_CODES)))
    questions = draw(st.sets(st.sampled_from(asked), min_size=1))
    answers = {question: draw(st.sampled_from(SCALES[question])) for question in questions}
    comment = draw(st.sampled_from([None, "fine"])) if kind is SurveyKind.POST else None
    channel = draw(st.sampled_from(list(Channel)))
    return ("answer", draw(person), draw(event), kind, answers, channel, comment)


_MARKS = [S.ATTENDED, S.NO_SHOW, S.ACCEPTED]
_STATUSES = [S.SENT, S.ACCEPTED, S.DECLINED, S.EXPIRED, S.WAITLISTED]
steps = st.lists(
    st.one_of(
        _answer(),
        st.tuples(st.just("mark"), person, event, st.sampled_from(_MARKS)),
        st.tuples(st.just("status"), person, event, st.sampled_from(_STATUSES)),
        st.tuples(st.just("community"), person, st.sampled_from(COMMUNITIES)),
        st.tuples(st.just("erase"), person),
        st.tuples(st.just("purge")),
    ),
    max_size=30,
)


@dataclass(frozen=True)
class Stage:
    events: list[Event]
    people: list[Participant]


def stage(session: Session) -> Stage:
    """Two events under way in Osh; eight people of each kind, invited to both."""
    events = [make_event(session, starts_in=-timedelta(hours=1)) for _ in range(EVENTS)]
    people = [
        make_participant(session, community=COMMUNITIES[number % len(COMMUNITIES)])
        for number in range(PEOPLE)
    ]
    for number, who in enumerate(people):
        for place in events:
            make_invitation(
                session, event=place, participant=who, status=(S.ACCEPTED, S.SENT)[number % 2]
            )
    return Stage(events, people)


def play(session: Session, actor: Actor, cast: Stage, programme: list[tuple[Any, ...]]) -> None:
    for step in programme:
        match step:
            case ("answer", who, where, kind, answers, channel, comment):
                record_answers(
                    session=session,
                    event_id=cast.events[where].id,
                    participant=cast.people[who],
                    kind=kind,
                    answers=answers,
                    channel=channel,
                    comment=comment,
                )
            case ("mark", who, where, status):
                field = {S.ATTENDED: "attended", S.NO_SHOW: "no_show", S.ACCEPTED: "unmarked"}
                # Refused when not accepted (or a walk-in taken back): nothing written then.
                with contextlib.suppress(Problem):
                    mark_attendance(
                        session=session,
                        actor=actor,
                        event_id=cast.events[where].id,
                        data=AttendanceUpdate(**{field[status]: [cast.people[who].id]}),
                    )
            case ("status", who, where, status):
                invitation = session.scalar(
                    select(Invitation).where(
                        Invitation.event_id == cast.events[where].id,
                        Invitation.participant_id == cast.people[who].id,
                    )
                )
                assert invitation is not None
                invitation.status = status
                session.flush()
            case ("community", who, community):
                cast.people[who].community = community
                session.flush()
            case ("erase", who):
                if cast.people[who].erased_at is None:
                    erase_participant(
                        session=session,
                        actor=actor,
                        participant_id=cast.people[who].id,
                        over_invite=1.0,
                    )
            case ("purge",):
                purge_expired(
                    session=session,
                    now=datetime.now(UTC) + timedelta(days=1),
                    retention_days=0,
                    review_after_days=0,
                )


# ------------------------------------------------------------------ from the raw rows

_UNANSWERED = {S.SENT, S.EXPIRED}


def raw_status_cells(
    session: Session, event_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[Community | None, StatusCell]]:
    counts: dict[tuple[uuid.UUID, Community | None], Counter[InvitationStatus]] = {}
    rows = session.execute(
        select(Invitation.event_id, Participant.community, Invitation.status)
        .join(Participant, Participant.id == Invitation.participant_id)
        .where(Invitation.event_id.in_(event_ids))
    )
    for event_id, community, status in rows:
        counts.setdefault((event_id, community), Counter())[status] += 1
    cells: dict[uuid.UUID, dict[Community | None, StatusCell]] = {}
    for (event_id, community), tally in counts.items():
        cells.setdefault(event_id, {})[community] = StatusCell(
            unanswered=sum(tally[status] for status in _UNANSWERED),
            accepted=tally[S.ACCEPTED],
            declined=tally[S.DECLINED],
            attended=tally[S.ATTENDED],
            no_show=tally[S.NO_SHOW],
        )
    return cells


def raw_survey_cells(session: Session, event_ids: list[uuid.UUID]) -> dict[CellKey, SurveyTally]:
    answers = session.scalars(
        select(SurveyResponse).where(SurveyResponse.event_id.in_(event_ids))
    ).all()
    pre = {(row.event_id, row.pseudonym): row.attitude for row in answers if row.kind == "pre"}
    cells: dict[CellKey, SurveyTally] = {}
    pairs: dict[CellKey, ChangeSums] = {}
    for row in answers:
        if row.kind != "post":
            continue
        key = (row.event_id, row.community)
        cell = cells.setdefault(key, SurveyTally())
        cell.post_respondents += 1
        if row.rating is not None:
            cell.rating_n += 1
            cell.rating_sum += row.rating
            counts = list(cell.rating_counts)
            counts[RATINGS.index(row.rating)] += 1
            cell.rating_counts = tuple(counts)
        if row.cross_group_talk is not None:
            cell.talk_n += 1
            cell.talk_yes += row.cross_group_talk
        before = pre.get((row.event_id, row.pseudonym))
        if row.attitude is not None and before is not None:
            change = row.attitude - before
            pairs[key] = pairs.get(key, ChangeSums()).plus(
                ChangeSums(1, change, change**2, int(change > 0))
            )
    for key, sums in pairs.items():
        cells[key].change = sums
    return cells


def _reference(
    statuses: dict[uuid.UUID, dict[Community | None, StatusCell]],
    answers: dict[CellKey, SurveyTally],
    event_ids: list[uuid.UUID],
    community: Community | None,
    *,
    protect: bool,
) -> tuple[dict[uuid.UUID, InvitationTally], dict[uuid.UUID | None, SurveyFigures]]:
    """The figures by `cells.py`'s rules over the cells counted from the rows."""
    tallies = {
        event_id: invitation_tally(statuses[event_id], community=community, protect=protect)
        for event_id in event_ids
        if event_id in statuses
    }
    attended = {
        (event_id, who): cell.attended
        for event_id, cells in statuses.items()
        for who, cell in cells.items()
    }

    def survey(chosen: list[uuid.UUID]) -> SurveyFigures:
        cells = {
            key: cell
            for key, cell in answers.items()
            if key[0] in chosen and (community is None or key[1] is community)
        }
        return survey_figures_of_cells(cells, attended)

    figures: dict[uuid.UUID | None, SurveyFigures] = {
        event_id: survey([event_id]) for event_id in event_ids
    }
    figures[None] = survey(event_ids)
    return tallies, figures


ATTITUDE_CODES = [item.code for item in survey_items.ATTITUDE_ITEMS]


def _numeric(row: SurveyResponse, code: str) -> int | None:
    value = getattr(row, COLUMNS[Question(code)])
    return None if value is None else int(value)


def raw_pair_sums(
    session: Session, event_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, str, str, str], tuple[int, int, int, int]]:
    """Per event, community, item and wave pair: n, Σ(later − earlier), its square and the
    count of rises, from the rows themselves, for every paired item of the bank."""
    answers = session.scalars(
        select(SurveyResponse).where(SurveyResponse.event_id.in_(event_ids))
    ).all()
    by_wave = {(row.event_id, row.pseudonym, row.kind): row for row in answers}
    sums: dict[tuple[uuid.UUID, str, str, str], tuple[int, int, int, int]] = {}
    for paired in rollups.PAIRED_ITEMS:
        for row in answers:
            if row.kind != paired.later:
                continue
            earlier = by_wave.get((row.event_id, row.pseudonym, paired.earlier))
            after = _numeric(row, paired.item.code)
            before = None if earlier is None else _numeric(earlier, paired.item.code)
            if after is None or before is None:
                continue
            key = (
                row.event_id,
                row.community.value if row.community else "",
                paired.item.code,
                paired.wave,
            )
            n, total, squares, positive = sums.get(key, (0, 0, 0, 0))
            change = after - before
            sums[key] = (n + 1, total + change, squares + change * change, positive + (change > 0))
    return sums


def rollup_pair_sums(
    session: Session, event_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, str, str, str], tuple[int, int, int, int]]:
    waves = {paired.wave for paired in rollups.PAIRED_ITEMS}
    rows = session.execute(
        select(
            Rollup.event_id,
            Rollup.community,
            Rollup.item,
            Rollup.wave,
            Rollup.n,
            Rollup.total,
            Rollup.squares,
            Rollup.positive,
        ).where(Rollup.event_id.in_(event_ids), Rollup.wave.in_(waves), Rollup.n != 0)
    )
    return {(e, c, i, w): (n, t, q, p) for e, c, i, w, n, t, q, p in rows}


def assert_rollups_match(session: Session, actor: Actor, cast: Stage) -> None:
    """Every figure the reports sum from the rollups, per event and over both, for each
    community filter and with and without protection, equals the figure `cells.py` gives
    over the cells counted from the rows themselves."""
    event_ids = [place.id for place in cast.events]
    scope = select(Event.id).where(Event.id.in_(event_ids))
    assert rollup_pair_sums(session, event_ids) == raw_pair_sums(session, event_ids)
    statuses = raw_status_cells(session, event_ids)
    answers = raw_survey_cells(session, event_ids)
    for community in COMMUNITIES:
        for protect in (False, True):
            tallies, figures = _reference(statuses, answers, event_ids, community, protect=protect)
            assert invitation_tallies(session, scope, community, protect=protect) == tallies
            # A summary's kinds of rooms add up to the same counts and the same mix.
            rooms = invitation_rooms(session, scope, community, protect=protect)
            assert InvitationTally.sum_of(kind.tally for kind in rooms) == InvitationTally.sum_of(
                tallies.values()
            )
            shares = {place.id: place.min_share for place in cast.events}
            assert mix_summary_of_rooms(rooms) == mix_summary(
                [(tally, shares[event_id]) for event_id, tally in tallies.items()]
            )
            per_event = survey_figures(session, scope, community, by_event=True)
            for event_id in event_ids:
                assert per_event.get(event_id, no_answers()) == figures[event_id]
            overall = survey_figures(session, scope, community, by_event=False)
            assert overall[None] == figures[None]
            # The exports' plain values are the same figures.
            values = survey_values(session, scope, community)
            for event_id in event_ids:
                assert values.get(event_id, NO_VALUES) == _as_values(figures[event_id])


def _as_values(figures: SurveyFigures) -> SurveyValues:
    change = figures.attitude_change
    return (
        figures.response_rate.value,
        figures.response_rate.n,
        figures.mean_rating.value,
        figures.mean_rating.n,
        figures.cross_group_talk_share.value,
        figures.cross_group_talk_share.n,
        change.mean,
        change.low,
        change.high,
        change.n,
    )
