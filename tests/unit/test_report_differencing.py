"""No two reports can be subtracted to isolate fewer than five people.

Random small populations (a few events in two cities, two activity types, two days, people of
every community and status, some answering the surveys); every filter a viewer can set is
applied, and for every figure the set of people it rests on is taken from the cells the
report code lets in. Any two filters' sets must then differ by nobody or by at least five
people, each way: that is what a differencing attack would isolate.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from birge_api.reports.cells import (
    StatusCell,
    distribution_cells,
    included,
    invitation_tally,
    pairs,
    rate_cells,
    ratings,
    survey_figures_of_cells,
    talks,
)
from birge_api.reports.figures import RATINGS, InvitationTally, SurveyTally
from birge_shared.models import ActivityType, Community
from birge_shared.statistics import MIN_RESPONDENTS

COMMUNITIES: tuple[Community | None, ...] = (Community.HOST, Community.MIGRANT, None)
ATOMS = ("unanswered", "accepted", "declined", "attended", "no_show")
Key = tuple[uuid.UUID, Community | None]


@dataclass(frozen=True)
class EventSpec:
    id: uuid.UUID
    city: str
    activity: ActivityType
    day: int


@dataclass(frozen=True)
class PersonSpec:
    number: int
    event: int
    community: Community | None
    atom: str
    answered: bool
    rating: int | None
    talk: bool | None
    pre: int | None
    post: int | None


@dataclass
class Population:
    events: list[EventSpec]
    people: list[PersonSpec]
    statuses: dict[uuid.UUID, dict[Community | None, StatusCell]] = field(default_factory=dict)
    answers: dict[Key, SurveyTally] = field(default_factory=dict)
    who: dict[tuple[str, Key], set[int]] = field(default_factory=dict)


events_strategy = st.lists(
    st.tuples(
        st.sampled_from(["bishkek", "osh"]),
        st.sampled_from([ActivityType.GAMES, ActivityType.COOKING]),
        st.sampled_from([1, 2]),
    ),
    min_size=1,
    max_size=4,
)

person_strategy = st.tuples(
    st.integers(0, 3),
    st.sampled_from(COMMUNITIES),
    st.sampled_from(ATOMS),
    st.booleans(),
    st.none() | st.integers(1, 5),
    st.none() | st.booleans(),
    st.none() | st.integers(1, 5),
    st.none() | st.integers(1, 5),
)


@st.composite
def populations(draw: st.DrawFn) -> Population:
    events = [
        EventSpec(uuid.UUID(int=index + 1), city, activity, day)
        for index, (city, activity, day) in enumerate(draw(events_strategy))
    ]
    drawn = draw(st.lists(person_strategy, max_size=40))
    people = [
        PersonSpec(number, event % len(events), community, atom, answered, *answers)
        for number, (event, community, atom, answered, *answers) in enumerate(drawn)
    ]
    population = Population(events, people)
    for person in people:
        event = events[person.event].id
        key = (event, person.community)
        cells = population.statuses.setdefault(event, {})
        cell = cells.get(person.community, StatusCell())
        counts = {name: getattr(cell, name) for name in ATOMS}
        counts[person.atom] += 1
        cells[person.community] = StatusCell(**counts)
        population.who.setdefault((person.atom, key), set()).add(person.number)
        if person.atom != "attended" or not person.answered:
            continue  # only attendees answer the post survey
        tally = population.answers.setdefault(key, SurveyTally())
        tally.post_respondents += 1
        population.who.setdefault(("respondents", key), set()).add(person.number)
        if person.rating is not None:
            tally.rating_n += 1
            tally.rating_sum += person.rating
            population.who.setdefault(("ratings", key), set()).add(person.number)
            per_rating = list(tally.rating_counts)
            per_rating[person.rating - 1] += 1
            tally.rating_counts = tuple(per_rating)
            population.who.setdefault((f"rated_{person.rating}", key), set()).add(person.number)
        if person.talk is not None:
            tally.talk_n += 1
            tally.talk_yes += person.talk
            population.who.setdefault(("talks", key), set()).add(person.number)
        if person.pre is not None and person.post is not None:
            tally.pairs[(person.pre, person.post)] += 1
            population.who.setdefault(("pairs", key), set()).add(person.number)
    return population


@dataclass(frozen=True)
class Filter:
    city: str | None
    activity: ActivityType | None
    date_from: int | None
    date_to: int | None
    community: Community | None

    def selects(self, event: EventSpec) -> bool:
        return (
            (self.city is None or event.city == self.city)
            and (self.activity is None or event.activity == self.activity)
            and (self.date_from is None or event.day >= self.date_from)
            and (self.date_to is None or event.day <= self.date_to)
        )


FILTERS = [
    Filter(city, activity, date_from, date_to, community)
    for city in (None, "bishkek", "osh")
    for activity in (None, ActivityType.GAMES, ActivityType.COOKING)
    for date_from, date_to in itertools.product((None, 1, 2), repeat=2)
    if date_from is None or date_to is None or date_from <= date_to
    for community in (None, Community.HOST, Community.MIGRANT)
]


def _people(population: Population, name: str, keys: list[Key]) -> frozenset[int]:
    return frozenset().union(*(population.who.get((name, key), set()) for key in keys))


def _survey_sets(population: Population, chosen: Filter) -> dict[str, frozenset[int]]:
    """Whom each survey figure of one filter rests on, by the cells the report code lets in."""
    events = {event.id for event in population.events if chosen.selects(event)}
    cells = {
        key: tally
        for key, tally in population.answers.items()
        if key[0] in events and (chosen.community is None or key[1] is chosen.community)
    }
    attended = {
        (event, who): cell.attended
        for event in events
        for who, cell in population.statuses.get(event, {}).items()
    }
    measures: dict[str, Callable[[SurveyTally], int]] = {
        "ratings": ratings,
        "talks": talks,
        "pairs": pairs,
    }
    sets = {name: _people(population, name, included(cells, how)) for name, how in measures.items()}
    sets["respondents"] = _people(population, "respondents", rate_cells(cells, attended))
    # The figures shown are computed from exactly those people.
    figures = survey_figures_of_cells(cells, attended)
    assert (figures.response_rate.n or 0) == len(sets["respondents"])
    assert (figures.mean_rating.n or 0) == len(sets["ratings"])
    assert (figures.cross_group_talk_share.n or 0) == len(sets["talks"])
    assert (figures.attitude_change.n or 0) == len(sets["pairs"])
    # Each count of the rating distribution is a figure of its own.
    distributed = distribution_cells(cells)
    for index, rating in enumerate(RATINGS):
        name = f"rated_{rating}"
        sets[name] = _people(population, name, distributed)
        counts = figures.rating_distribution.counts
        assert (counts[index] if counts else 0) == len(sets[name])
    return sets


def _count_sets(population: Population, chosen: Filter) -> dict[str, frozenset[int]]:
    """Whom each disjoint status count a viewer sees rests on, and the mix's two counts."""
    total = InvitationTally()
    sets: dict[str, frozenset[int]] = {}
    room: dict[str, frozenset[int]] = {"host": frozenset(), "migrant": frozenset()}
    for event in population.events:
        if not chosen.selects(event):
            continue
        cells = population.statuses.get(event.id, {})
        tally = invitation_tally(cells, community=chosen.community, protect=True)
        total = total.plus(tally)
        shown = [
            (event.id, who)
            for who, cell in cells.items()
            if cell.publishable() and (chosen.community is None or who is chosen.community)
        ]
        for atom in ATOMS:
            sets[atom] = sets.get(atom, frozenset()) | _people(population, atom, shown)
        if not tally.mix_withheld:
            for name, who in (("host", Community.HOST), ("migrant", Community.MIGRANT)):
                room[name] |= _people(population, "attended", [(event.id, who)])
                assert len(_people(population, "attended", [(event.id, who)])) == getattr(
                    tally, f"attended_{name}"
                )
    assert total.attended == len(sets.get("attended", frozenset()))
    assert total.declined == len(sets.get("declined", frozenset()))
    assert total.no_show == len(sets.get("no_show", frozenset()))
    return {**sets, **{f"mix_{name}": people for name, people in room.items()}}


def _isolates_few(one: frozenset[int], other: frozenset[int]) -> bool:
    return any(0 < len(rest) < MIN_RESPONDENTS for rest in (one - other, other - one))


@settings(max_examples=200, deadline=None)
@given(populations())
def test_no_differencing_pair_of_filters_isolates_fewer_than_five(population: Population) -> None:
    seen: dict[str, set[frozenset[int]]] = {}
    for chosen in FILTERS:
        for name, people in {
            **_survey_sets(population, chosen),
            **_count_sets(population, chosen),
        }.items():
            seen.setdefault(name, set()).add(people)
    for name, sets in seen.items():
        for one, other in itertools.combinations(sets, 2):
            assert not _isolates_few(one, other), (name, sorted(one), sorted(other))


def test_the_published_attack_no_longer_works() -> None:
    """Six answers on a day, five of them at the games event: the sixth is never counted."""
    games, cooking = uuid.UUID(int=1), uuid.UUID(int=2)
    five = SurveyTally(5, 5, 20, 5, 4, Counter({(3, 4): 5}))
    one = SurveyTally(1, 1, 1, 1, 0, Counter({(4, 2): 1}))
    day = survey_figures_of_cells(
        {(games, Community.HOST): five, (cooking, Community.HOST): one},
        {(games, Community.HOST): 5, (cooking, Community.HOST): 1},
    )
    only_games = survey_figures_of_cells(
        {(games, Community.HOST): five}, {(games, Community.HOST): 5}
    )
    assert day == only_games
    assert day.mean_rating.n == 5
