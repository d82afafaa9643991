"""The figures of a simulation computed by hand from its plan, without the report service."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from fractions import Fraction

from birge_shared.models import Community, InvitationStatus
from tests.integration.reports.simulation import Person

S = InvitationStatus


@dataclass(frozen=True)
class Expected:
    invited: int
    accepted: int
    declined: int
    attended: int
    no_show: int
    respondents: int
    response_rate: float | None
    ratings: list[int]
    talks: list[bool]
    changes: list[int]
    host_share: float | None
    held: bool | None

    @property
    def mean_rating(self) -> float:
        return statistics.fmean(self.ratings)

    @property
    def talk_share(self) -> float:
        return sum(self.talks) / len(self.talks)

    @property
    def mean_change(self) -> float:
        return statistics.fmean(self.changes)


def expected(people: list[Person], community: Community | None = None) -> Expected:
    """By hand: count statuses, collect answers, pair pre and post per person."""
    mine = [p for p in people if community is None or p.community is community]

    def count(*statuses: InvitationStatus) -> int:
        return len([p for p in mine if p.status in statuses])

    answers = [p.post for p in mine if p.post is not None]
    attended = count(S.ATTENDED)
    changes = [
        p.post.attitude - p.pre
        for p in mine
        if p.post is not None and p.post.attitude is not None and p.pre is not None
    ]
    # The mix is about the whole room, whatever the community filter.
    room = [p for p in people if p.status is S.ATTENDED]
    taken = any(p.status in (S.ATTENDED, S.NO_SHOW) for p in people)
    if not taken:
        room = [p for p in people if p.status is S.ACCEPTED]
    host = len([p for p in room if p.community is Community.HOST])
    migrant = len([p for p in room if p.community is Community.MIGRANT])
    declared = host + migrant
    low = Fraction(2, 5)  # the simulated events' min_share, 0.4
    return Expected(
        invited=count(S.SENT, S.ACCEPTED, S.DECLINED, S.EXPIRED, S.ATTENDED, S.NO_SHOW),
        accepted=count(S.ACCEPTED, S.ATTENDED, S.NO_SHOW),
        declined=count(S.DECLINED),
        attended=attended,
        no_show=count(S.NO_SHOW),
        respondents=len(answers),
        response_rate=len(answers) / attended if attended else None,
        ratings=[a.rating for a in answers if a.rating is not None],
        talks=[a.talk for a in answers if a.talk is not None],
        changes=changes,
        host_share=host / declared if declared else None,
        held=(low * declared <= host <= (1 - low) * declared) if declared else None,
    )
