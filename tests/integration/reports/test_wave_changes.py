"""A simulated programme: two cities, 40 events over six months, 400 people, pre, post and
follow-up answers drawn from a known distribution with a fixed seed, stored through the real
answer function. The summary's change per item and pair of waves, with its 95 % interval and
n, must equal a reference computed with scipy on the raw rows under the same cell rule.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import rollups, survey_items
from birge_shared.models import Community, Participant, SurveyResponse
from birge_shared.statistics import MIN_RESPONDENTS
from birge_shared.surveys import COLUMNS, Channel, Question, SurveyKind, record_answers
from tests.factories import make_event, make_participant

CITIES = ("bishkek", "osh")
PEOPLE_PER_CITY = 200
EVENTS_PER_CITY = 20
ATTENDEES = 20
FIRST_DAY = datetime(2031, 1, 6, 12, 0, tzinfo=UTC)
PERIOD = {"from": "2031-01-01", "to": "2031-07-31"}
#: How likely a person answers each wave, and leaves one item of it out.
ANSWERS_WAVE = {SurveyKind.PRE: 0.9, SurveyKind.POST: 0.8, SurveyKind.FOLLOWUP: 0.6}
SKIPS_ITEM = 0.05


def _clamp(value: float, item: survey_items.BankItem) -> int:
    return max(item.values[0], min(item.values[-1], round(value)))


@dataclass(frozen=True)
class Latent:
    """A person's starting attitude on each item, and how much the events move it."""

    start: dict[str, float]
    shift: float


# The known distribution: per item, the mean and spread at the start, and the mean change
# (in item units) from pre to post and from pre to follow-up.
START = {"attitude": (3.0, 1.0), "thermometer": (50.0, 20.0), "social_distance": (3.0, 1.2),
         "anxiety": (3.0, 1.0)}  # fmt: skip
POST_SHIFT = {"attitude": 0.6, "thermometer": 9.0, "social_distance": -0.5, "anxiety": -0.4}
FOLLOWUP_SHIFT = {"attitude": 0.3, "thermometer": 5.0, "social_distance": -0.3, "anxiety": -0.2}


def _attitude_answers(
    rng: random.Random, latent: Latent, items: tuple[survey_items.BankItem, ...], wave: SurveyKind
) -> dict[Question, int]:
    answers: dict[Question, int] = {}
    for item in items:
        if rng.random() < SKIPS_ITEM:
            continue
        spread = START[item.code][1]
        shift = 0.0
        if wave is SurveyKind.POST:
            shift = POST_SHIFT[item.code]
        elif wave is SurveyKind.FOLLOWUP:
            shift = FOLLOWUP_SHIFT[item.code]
        noise = rng.gauss(0, spread / 2)
        answers[Question(item.code)] = _clamp(
            latent.start[item.code] + shift * latent.shift + noise, item
        )
    return answers


def _simulate(db: Session) -> list[uuid.UUID]:
    rng = random.Random(20261201)
    event_ids: list[uuid.UUID] = []
    for city in CITIES:
        people: list[tuple[Participant, Latent]] = []
        for number in range(PEOPLE_PER_CITY):
            community = Community.HOST if number % 2 else Community.MIGRANT
            participant = make_participant(db, city=city, community=community)
            start = {code: rng.gauss(*START[code]) for code in START}
            people.append((participant, Latent(start=start, shift=rng.uniform(0.0, 2.0))))
        for number in range(EVENTS_PER_CITY):
            event = make_event(db, city=city, capacity=ATTENDEES)
            # Every nine days over six months; each event asks its own choice of items.
            event.starts_at = FIRST_DAY + timedelta(days=9 * number, hours=len(event_ids) % 3)
            event.ends_at = event.starts_at + timedelta(hours=2)
            codes = [item.code for item in survey_items.ATTITUDE_ITEMS]
            event.survey_items = ["attitude", *rng.sample(codes[1:], rng.randint(0, 3))]
            items = survey_items.chosen(event.survey_items)
            event_ids.append(event.id)
            for participant, latent in rng.sample(people, ATTENDEES):
                for wave, chance in ANSWERS_WAVE.items():
                    if rng.random() >= chance:
                        continue
                    answers = _attitude_answers(rng, latent, items, wave)
                    if wave is SurveyKind.POST:
                        answers[Question.RATING] = rng.choice((3, 4, 4, 5, 5))
                        answers[Question.TALK] = rng.choice((1, 1, 2))
                    if wave is SurveyKind.FOLLOWUP:
                        answers[Question.MET_OUTSIDE] = rng.choice((1, 2, 2))
                        answers[Question.JOIN_AGAIN] = rng.choice((1, 1, 2, 3))
                    if answers:
                        record_answers(
                            session=db,
                            event_id=event.id,
                            participant=participant,
                            kind=wave,
                            answers=answers,
                            channel=Channel.PAGE,
                            now=event.ends_at + timedelta(days=1),
                        )
    db.flush()
    return event_ids


def _value(row: SurveyResponse, code: str) -> int | None:
    value = getattr(row, COLUMNS[Question(code)])
    return None if value is None else int(value)


def _reference(
    rows: list[SurveyResponse], community: Community | None
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Per item and wave pair, from the raw rows: each person's later − earlier within an
    event, cells (event × community of the later answer) with fewer than five pairs left out
    as the reports do, then the mean and scipy's Student-t 95 % interval."""
    by_wave = {(row.event_id, row.pseudonym, row.kind): row for row in rows}
    figures: dict[tuple[str, str, str], dict[str, Any]] = {}
    for paired in rollups.PAIRED_ITEMS:
        code = paired.item.code
        cells: dict[tuple[uuid.UUID, Community | None], list[int]] = defaultdict(list)
        for row in rows:
            if row.kind != paired.later or (community is not None and row.community != community):
                continue
            earlier = by_wave.get((row.event_id, row.pseudonym, paired.earlier))
            after = _value(row, code)
            before = None if earlier is None else _value(earlier, code)
            if after is not None and before is not None:
                cells[(row.event_id, row.community)].append(after - before)
        changes = [x for cell in cells.values() if len(cell) >= MIN_RESPONDENTS for x in cell]
        key = (code, paired.earlier, paired.later)
        if len(changes) < MIN_RESPONDENTS:
            figures[key] = {"mean": None, "low": None, "high": None, "n": None}
            continue
        n = len(changes)
        mean = sum(changes) / n
        low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=stats.sem(changes))
        figures[key] = {"mean": mean, "low": float(low), "high": float(high), "n": n}
    return figures


def _check(summary: Any, reference: dict[tuple[str, str, str], dict[str, Any]]) -> None:
    reported = {
        (entry["item"], entry["earlier"], entry["later"]): entry["change"]
        for entry in summary["wave_changes"]
    }
    assert set(reported) == set(reference)
    shown = 0
    for key, expected in reference.items():
        change = reported[key]
        assert change["n"] == expected["n"], key
        assert change["suppressed"] is (expected["n"] is None), key
        for end in ("mean", "low", "high"):
            if expected[end] is None:
                assert change[end] is None, key
            else:
                assert change[end] == pytest.approx(expected[end], rel=1e-9, abs=1e-12), key
        shown += expected["n"] is not None
    # The simulation is large enough that most figures are shown, not suppressed.
    assert shown >= len(reference) - 2
    # The summary's own attitude change is the pre → post entry of the same table.
    attitude = reported[("attitude", "pre", "post")]
    assert summary["survey"]["attitude_change"]["mean"] == pytest.approx(attitude["mean"])
    assert summary["survey"]["attitude_change"]["n"] == attitude["n"]


def test_wave_changes_equal_scipy_on_the_raw_rows(
    db: Session, client: TestClient, admin_headers: dict[str, str]
) -> None:
    # One simulation for every check: it is the slow part.
    programme = _simulate(db)
    rows = list(db.scalars(select(SurveyResponse).where(SurveyResponse.event_id.in_(programme))))
    assert {row.kind for row in rows} == {"pre", "post", "followup"}
    for community in (None, Community.HOST, Community.MIGRANT):
        params = {**PERIOD, **({"community": community.value} if community else {})}
        response = client.get("/v1/reports/summary", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        summary = response.json()
        assert summary["events"] == len(CITIES) * EVENTS_PER_CITY
        _check(summary, _reference(rows, community))

    # A person's waves link by the pseudonym alone, which is no participant id.
    waves: dict[tuple[uuid.UUID, str], set[str]] = defaultdict(set)
    for row in rows:
        waves[(row.event_id, row.pseudonym)].add(row.kind)
    assert any(kinds == {"pre", "post", "followup"} for kinds in waves.values())
    participant_ids = {str(value) for value in db.scalars(select(Participant.id))}
    assert not participant_ids & {row.pseudonym for row in rows}
