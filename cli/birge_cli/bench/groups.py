"""`birge bench groups`: splitting a room into mixed groups with a year of history.

Made-up people (hosts, migrants and some who gave no community, in Kyrgyz, Russian and English)
and a year of weekly events at which some of them shared groups give the novelty term its
pairs; some are buddy pairs. The split the API runs (`birge_api.groups.split`) is timed over
several runs, and so is the same split without history as the baseline of the same run.
Nothing is written to a database.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from birge_cli.bench.machine import this_machine

if TYPE_CHECKING:
    pass

#: The goal of the issue that asked for the split: 200 people into 25 groups in under 2 s.
GOAL_SECONDS = 2.0


def run(*, people: int, groups: int, weeks: int, runs: int, say: Callable[[str], None]) -> int:
    # Imported here: `birge --help` and the other commands need neither OR-Tools nor the models.
    from birge_api.groups.split import Person, pair_key, split  # noqa: PLC0415
    from birge_shared.models import Community, Language  # noqa: PLC0415

    rng = random.Random(13)  # noqa: S311 - made-up people, the same ones every run
    languages = [Language.RU] * 5 + [Language.KY] * 4 + [Language.EN]
    communities = [Community.HOST] * 9 + [Community.MIGRANT] * 9 + [None] * 2
    room = [
        Person(uuid.UUID(int=rng.getrandbits(128)), rng.choice(communities), rng.choice(languages))
        for _ in range(people)
    ]
    ids = [person.id for person in room]
    met: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for _week in range(weeks):
        # Forty of them came, in five groups of eight.
        came = rng.sample(ids, min(40, len(ids)))
        for start in range(0, len(came), 8):
            group = came[start : start + 8]
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    key = pair_key(a, b)
                    met[key] = met.get(key, 0) + 1
    hosts = [p for p in room if p.community is Community.HOST]
    migrants = [p for p in room if p.community is Community.MIGRANT]
    buddies: list[tuple[uuid.UUID, uuid.UUID]] = []
    taken: set[uuid.UUID] = set()
    for host in hosts[: people // 10]:
        partner = next(
            (m for m in migrants if m.language is host.language and m.id not in taken), None
        )
        if partner is not None:
            taken.add(partner.id)
            buddies.append((host.id, partner.id))

    def timed(history: dict[tuple[uuid.UUID, uuid.UUID], int]) -> tuple[float, float, int]:
        times = []
        made = 0
        for _ in range(runs):
            started = time.perf_counter()
            made = len(split(room, groups=groups, min_share=0.4, met=history, buddies=buddies))
            times.append(time.perf_counter() - started)
        return statistics.median(times), max(times), made

    say(f"machine: {this_machine().describe()}")
    say(
        f"room: {people} people, {groups} groups, {len(buddies)} buddy pairs; history: "
        f"{weeks} weekly events, {len(met)} pairs who met ({sum(met.values())} meetings)"
    )
    baseline, baseline_worst, _ = timed({})
    median, worst, made = timed(met)
    say(f"split without history (baseline): median {baseline:.3f} s, worst {baseline_worst:.3f} s")
    say(
        f"split with novelty:               median {median:.3f} s, worst {worst:.3f} s "
        f"({median / baseline:.2f}x the baseline), {made} groups"
    )
    verdict = "met" if worst < GOAL_SECONDS else "NOT met"
    say(f"goal: every run under {GOAL_SECONDS:g} s: {verdict}")
    return 0
