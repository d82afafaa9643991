"""The novelty step of the split: who goes where, once each group's make-up is fixed.

Group sizes and the band depend only on how many units of each kind (a host, a migrant, a
person without a declared community, a buddy pair) a group holds, so the split first fixes
those counts exactly with CP-SAT (`birge_api.groups.split`). What is left — which host goes to
which group — only moves the novelty term, and for 200 people with a year of history an exact
model of it is far too slow here (CP-SAT's presolve alone takes seconds on two cores).

This is the documented heuristic for that part: a greedy fill (each unit, in a fixed order, to
the group with room for its kind where it met the fewest people before), then swaps of two
units *of the same kind* in different groups — which keep every group's size and mix — taking
the best improving swap for each unit in turn until a pass improves nothing or `MAX_PASSES`
passes are done. Every step is deterministic. `link[u][g]`, unit u's earlier meetings with
group g's members, is kept up to date on every swap, so judging a swap costs O(1). The tests
check the result against CP-SAT's optimum on rooms small enough for it.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_PASSES = 40


def fill(
    *, kinds: Sequence[int], quotas: Sequence[Sequence[int]], neighbours: Sequence[dict[int, int]]
) -> list[int]:
    """Each unit in turn to a group with room for its kind, where it met fewest people before."""
    count = len(quotas)
    room = [list(row) for row in quotas]
    place = [-1] * len(kinds)
    link = [[0] * count for _ in kinds]
    for u, kind in enumerate(kinds):
        group = min(
            (g for g in range(count) if room[g][kind] > 0),
            key=lambda g: (link[u][g], -room[g][kind], g),
        )
        place[u] = group
        room[group][kind] -= 1
        for v, w in neighbours[u].items():
            link[v][group] += w
    return place


def improve(
    assignment: Sequence[int], *, kinds: Sequence[int], neighbours: Sequence[dict[int, int]]
) -> list[int]:
    """The assignment (unit -> group) after same-kind swaps; see the module doc."""
    place = list(assignment)
    count = max(place) + 1
    link = [[0] * count for _ in place]
    for u in range(len(place)):
        for v, w in neighbours[u].items():
            link[u][place[v]] += w
    by_kind: dict[int, list[int]] = {}
    for u, kind in enumerate(kinds):
        by_kind.setdefault(kind, []).append(u)

    def shift(u: int, a: int, b: int) -> None:
        place[u] = b
        for v, w in neighbours[u].items():
            link[v][a] -= w
            link[v][b] += w

    for _ in range(MAX_PASSES):
        improved = False
        for u, kind in enumerate(kinds):
            a = place[u]
            link_u = link[u]
            near = neighbours[u]
            best, partner = 0, -1
            for v in by_kind[kind]:
                b = place[v]
                if b == a:
                    continue
                shared = near.get(v, 0)
                # u leaves a for b, v leaves b for a; they no longer share a group either way.
                delta = (link_u[b] - shared - link_u[a]) + (link[v][a] - shared - link[v][b])
                if delta < best:
                    best, partner = delta, v
            if partner < 0:
                continue
            improved = True
            b = place[partner]
            shift(partner, b, a)
            shift(u, a, b)
        if not improved:
            break
    return place
