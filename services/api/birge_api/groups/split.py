"""Splitting an event's people into mixed groups: a pure function over plain values.

What a good split is, in order of weight:

1. **One language per group.** A participant has one preferred language, so a group whose
   members can talk is a group of one language. Groups are first shared out between the
   languages (each language present gets at least one), then each language is split alone.
2. **Buddies together.** A buddy pair is one unit of two that cannot be split.
3. **Even sizes.** Group sizes differ by at most one where the units allow it.
4. **The mix band in every group** as closely as the numbers allow: the shortfall of the
   smaller community below `min_share` of the group's declared members, summed over groups.
5. **Novelty.** People who met before (times together in earlier groups) are spread apart.

Steps 3–5 are one integer objective per language, weighted so that each step outranks
everything after it (`_Objective`). Sizes and the band depend only on how many units of each
kind (host, migrant, no community given, buddy pair) a group holds, so CP-SAT (OR-Tools) first
fixes those counts exactly — a small model of groups × kinds, solved to optimality in
milliseconds. Who fills which place moves only the novelty term: the documented heuristic of
`birge_api.groups.search` decides it (a greedy fill, then same-kind swaps), and a language of at
most `EXACT_UNITS` units is then solved whole by CP-SAT from that answer as its hint. An exact
model of novelty for 200 people with a year of history is far too slow here (its presolve
alone takes seconds), so larger rooms keep the heuristic's answer; the tests compare the two.

The solver runs on one worker with a fixed seed and a *deterministic* time limit (work units,
not wall-clock seconds), so the same input gives the same groups on any machine and under any
load.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from birge_api.groups import search
from birge_shared.models import Community, Language

#: A language's units up to this many are solved exactly by CP-SAT (from the search's answer);
#: more are left to the local search, whose answer CP-SAT's presolve alone would outlast.
EXACT_UNITS = 24
#: The solver's budget for a whole split, in CP-SAT's deterministic work units (about a
#: second of work each on a current machine), shared out between the languages by size.
DETERMINISTIC_BUDGET = 0.5
#: A wall-clock cap that only a pathological input reaches; the deterministic budget is what
#: normally ends the search, which keeps the result reproducible.
WALL_CLOCK_CAP_SECONDS = 20.0
SEED = 20261201
#: Meeting someone more often than this counts no more: keeps the weights small.
MAX_MET_WEIGHT = 5
Expr = cp_model.LinearExpr
_LANGUAGE_ORDER = {language: position for position, language in enumerate(Language)}


class SplitError(ValueError):
    """The request cannot be met (too few groups for the languages present, nobody to split)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    community: Community | None
    language: Language


@dataclass(frozen=True)
class Group:
    language: Language
    members: tuple[uuid.UUID, ...]


def pair_key(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A pair of people in one canonical order, as the history and the ledger store it."""
    return (a, b) if str(a) < str(b) else (b, a)


@dataclass
class _Unit:
    """People who must share a group: one person, or a buddy pair."""

    members: tuple[Person, ...]
    host: int = field(init=False)
    migrant: int = field(init=False)

    def __post_init__(self) -> None:
        self.host = sum(1 for p in self.members if p.community is Community.HOST)
        self.migrant = sum(1 for p in self.members if p.community is Community.MIGRANT)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def key(self) -> str:
        return min(str(p.id) for p in self.members)


def groups_for_size(people: int, size: int) -> int:
    """How many groups of about `size` people the count makes (at least one)."""
    return max(1, math.floor(people / size + 0.5))


def split(
    people: Sequence[Person],
    *,
    groups: int | None = None,
    size: int | None = None,
    min_share: float,
    met: Mapping[tuple[uuid.UUID, uuid.UUID], int] | None = None,
    buddies: Sequence[tuple[uuid.UUID, uuid.UUID]] = (),
    budget: float = DETERMINISTIC_BUDGET,
    exact_units: int = EXACT_UNITS,
) -> list[Group]:
    """Split `people` into `groups` groups (or groups of about `size`); see the module doc.

    `met` counts earlier meetings per `pair_key`; `buddies` are pairs kept together (a pair
    whose languages differ cannot share a group that shares a language, so it is not kept).
    The result lists groups by language (ky, ru, en) and each group's members sorted by id.
    """
    if not people:
        raise SplitError("nobody-to-split", "nobody is there to split into groups")
    if (groups is None) == (size is None):
        raise SplitError("size-or-count", "give either a group size or a number of groups")
    by_language: dict[Language, list[Person]] = defaultdict(list)
    for person in sorted(people, key=lambda p: str(p.id)):
        by_language[person.language].append(person)
    languages = sorted(by_language, key=_LANGUAGE_ORDER.__getitem__)
    if size is not None:
        counts = {lang: groups_for_size(len(by_language[lang]), size) for lang in languages}
    else:
        assert groups is not None
        counts = _share_groups({lang: len(by_language[lang]) for lang in languages}, groups)
    history = met or {}
    total = len(people)
    result: list[Group] = []
    for language in languages:
        members = by_language[language]
        units = _units(members, buddies)
        share = budget * len(members) / total
        assignment = _split_language(
            units,
            counts[language],
            min_share=min_share,
            met=history,
            budget=share,
            exact_units=exact_units,
        )
        result.extend(
            Group(language=language, members=tuple(sorted(ids, key=str)))
            for ids in assignment
            if ids
        )
    return result


def _share_groups(people: dict[Language, int], groups: int) -> dict[Language, int]:
    """Give each language present at least one group, the rest to the largest average size."""
    if groups < len(people):
        raise SplitError(
            "too-few-groups",
            f"{len(people)} languages are present: at least {len(people)} groups are needed",
        )
    counts = dict.fromkeys(people, 1)
    for _ in range(min(groups, sum(people.values())) - len(people)):
        # Largest people-per-group first; ties by the language's fixed order.
        language = max(
            (lang for lang in counts if counts[lang] < people[lang]),
            key=lambda lang: (Fraction(people[lang], counts[lang]), -_LANGUAGE_ORDER[lang]),
        )
        counts[language] += 1
    return counts


def _units(
    members: Sequence[Person], buddies: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[_Unit]:
    here = {person.id: person for person in members}
    paired: dict[uuid.UUID, uuid.UUID] = {}
    for a, b in buddies:
        # Everyone is in at most one pair; a second pairing of the same person is ignored.
        if a in here and b in here and a != b and a not in paired and b not in paired:
            paired[a], paired[b] = b, a
    units: list[_Unit] = []
    for person in members:
        partner = paired.get(person.id)
        if partner is None:
            units.append(_Unit((person,)))
        elif str(person.id) < str(partner):
            units.append(_Unit((person, here[partner])))
    # Pairs first (hardest to place), then by id: a fixed order for the greedy fill and the model.
    return sorted(units, key=lambda unit: (-unit.size, unit.key))


def _unit_weights(
    units: Sequence[_Unit], met: Mapping[tuple[uuid.UUID, uuid.UUID], int]
) -> dict[tuple[int, int], int]:
    """Earlier meetings between units, summed over their members and capped per pair."""
    index = {person.id: position for position, unit in enumerate(units) for person in unit.members}
    weights: dict[tuple[int, int], int] = defaultdict(int)
    for (a, b), times in met.items():
        ua, ub = index.get(a), index.get(b)
        if ua is None or ub is None or ua == ub or times <= 0:
            continue
        weights[(min(ua, ub), max(ua, ub))] += min(times, MAX_MET_WEIGHT)
    return dict(weights)


def band_shortfall(host: int, migrant: int, min_share: float) -> Fraction:
    """How many declared people the smaller community lacks to reach its minimum share."""
    share = Fraction(str(min_share))
    declared = host + migrant
    return max(Fraction(0), share * declared - min(host, migrant))


@dataclass(frozen=True)
class _Objective:
    """The lexicographic weights over integers: the band in 1/q of a person, min_share = p/q."""

    p: int
    q: int
    low: int
    high: int
    band: int
    size: int

    @classmethod
    def of(cls, min_share: float, *, people: int, count: int, novelty: int) -> _Objective:
        share = Fraction(str(min_share))
        band = novelty + 1  # one unit of shortfall outweighs every repeat meeting
        return cls(
            p=share.numerator,
            q=share.denominator,
            low=people // count,
            high=math.ceil(people / count),
            band=band,
            size=band * (share.denominator * people + 1),  # one seat off outweighs the band
        )


def _split_language(
    units: list[_Unit],
    count: int,
    *,
    min_share: float,
    met: Mapping[tuple[uuid.UUID, uuid.UUID], int],
    budget: float,
    exact_units: int,
) -> list[list[uuid.UUID]]:
    people = sum(unit.size for unit in units)
    count = max(1, min(count, len(units)))
    weights = _unit_weights(units, met)
    objective = _Objective.of(min_share, people=people, count=count, novelty=sum(weights.values()))
    kinds_seen = sorted({(unit.size, unit.host, unit.migrant) for unit in units})
    kind_of = {kind: index for index, kind in enumerate(kinds_seen)}
    kinds = [kind_of[(unit.size, unit.host, unit.migrant)] for unit in units]
    if count == 1:
        return _members(units, [0] * len(units), count)
    quotas = _quotas(kinds_seen, kinds, count, objective, budget=budget)
    neighbours: list[dict[int, int]] = [{} for _ in units]
    for (a, b), weight in weights.items():
        neighbours[a][b] = weight
        neighbours[b][a] = weight
    assignment = search.improve(
        search.fill(kinds=kinds, quotas=quotas, neighbours=neighbours),
        kinds=kinds,
        neighbours=neighbours,
    )
    if len(units) <= exact_units and weights:
        solved = _solve(units, count, objective, weights=weights, hint=assignment, budget=budget)
        if solved is not None:
            assignment = solved
    return _members(units, assignment, count)


def _members(
    units: Sequence[_Unit], assignment: Sequence[int], count: int
) -> list[list[uuid.UUID]]:
    groups: list[list[uuid.UUID]] = [[] for _ in range(count)]
    for unit, group in zip(units, assignment, strict=True):
        groups[group].extend(person.id for person in unit.members)
    # Numbered by their smallest member, so the numbering does not depend on the solver's labels.
    return sorted(groups, key=lambda ids: min((str(i) for i in ids), default="~"))


def _solver(budget: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = SEED
    solver.parameters.max_deterministic_time = max(budget, 0.05)
    solver.parameters.max_time_in_seconds = WALL_CLOCK_CAP_SECONDS
    return solver


def _weighted(variables: Sequence[cp_model.IntVar], coefficients: Sequence[int]) -> Expr:
    return cp_model.LinearExpr.weighted_sum(variables, coefficients)


def _group_terms(
    model: cp_model.CpModel,
    *,
    g: int,
    size: Expr,
    host: Expr,
    migrant: Expr,
    objective: _Objective,
    people: int,
) -> Expr:
    """One group's size deviation and band shortfall, weighted (see `_Objective`)."""
    over = model.new_int_var(0, people, f"over{g}")
    under = model.new_int_var(0, people, f"under{g}")
    model.add(over >= size - objective.high)
    model.add(under >= objective.low - size)
    shortfall = model.new_int_var(0, objective.q * people, f"short{g}")
    model.add(shortfall >= objective.p * (host + migrant) - objective.q * host)
    model.add(shortfall >= objective.p * (host + migrant) - objective.q * migrant)
    return _weighted([over, under, shortfall], [objective.size, objective.size, objective.band])


def _quotas(
    kinds_seen: Sequence[tuple[int, int, int]],
    kinds: Sequence[int],
    count: int,
    objective: _Objective,
    *,
    budget: float,
) -> list[list[int]]:
    """How many units of each kind each group gets: sizes even, then the band, exactly."""
    available = [kinds.count(k) for k in range(len(kinds_seen))]
    people = sum(kind[0] * n for kind, n in zip(kinds_seen, available, strict=True))
    model = cp_model.CpModel()
    n = [
        [model.new_int_var(0, available[k], f"n{g}_{k}") for k in range(len(kinds_seen))]
        for g in range(count)
    ]
    for k, total in enumerate(available):
        model.add(cp_model.LinearExpr.sum([n[g][k] for g in range(count)]) == total)
    terms: list[Expr] = []
    sizes: list[Expr] = []
    for g in range(count):
        size = _weighted(n[g], [kind[0] for kind in kinds_seen])
        host = _weighted(n[g], [kind[1] for kind in kinds_seen])
        migrant = _weighted(n[g], [kind[2] for kind in kinds_seen])
        model.add(size >= 1)
        sizes.append(size)
        terms.append(
            _group_terms(
                model,
                g=g,
                size=size,
                host=host,
                migrant=migrant,
                objective=objective,
                people=people,
            )
        )
    for g in range(count - 1):
        model.add(sizes[g] >= sizes[g + 1])  # the groups are interchangeable: fix an order
    model.minimize(cp_model.LinearExpr.sum(terms))
    solver = _solver(budget)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Cannot happen with at least one unit per group (count <= units); kept explicit.
        raise SplitError("no-split", "the people cannot be split into that many groups")
    return [[solver.value(n[g][k]) for k in range(len(kinds_seen))] for g in range(count)]


def _solve(
    units: Sequence[_Unit],
    count: int,
    objective: _Objective,
    *,
    weights: Mapping[tuple[int, int], int],
    hint: Sequence[int],
    budget: float,
) -> list[int] | None:
    """The whole language exactly (sizes, band and novelty), for small rooms."""
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{u}_{g}") for g in range(count)] for u in range(len(units))]
    for row in x:
        model.add_exactly_one(row)
    people = sum(unit.size for unit in units)
    terms: list[Expr] = []
    for g in range(count):
        column = [x[u][g] for u in range(len(units))]
        size = _weighted(column, [unit.size for unit in units])
        host = _weighted(column, [unit.host for unit in units])
        migrant = _weighted(column, [unit.migrant for unit in units])
        model.add(size >= 1)
        terms.append(
            _group_terms(
                model,
                g=g,
                size=size,
                host=host,
                migrant=migrant,
                objective=objective,
                people=people,
            )
        )
    pairs = sorted(weights.items())
    together = [model.new_bool_var(f"t{a}_{b}") for (a, b), _ in pairs]
    for ((a, b), _), both in zip(pairs, together, strict=True):
        for g in range(count):
            model.add(both >= x[a][g] + x[b][g] - 1)
    terms.append(_weighted(together, [weight for _, weight in pairs]))
    model.minimize(cp_model.LinearExpr.sum(terms))
    for u, group in enumerate(hint):
        for g in range(count):
            model.add_hint(x[u][g], g == group)
    solver = _solver(budget)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [next(g for g in range(count) if solver.value(x[u][g])) for u in range(len(units))]
