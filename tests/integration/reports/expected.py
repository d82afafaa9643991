"""The figures of a simulation computed by hand from its plan, without the report service.

Small cells are left out by hand too: a cell is one event × one community, and a figure takes
a cell only when its own count there is at least five (for the response rate, also the cell's
attendees are not between one and four). With `protect` (what a viewer sees), a cell's
invitations count only when each status in it holds no one or at least five people, and a
room's mix only when both its host and its migrant cells count.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from birge_shared.models import Community, InvitationStatus
from tests.integration.reports.simulation import Person

S = InvitationStatus
Cell = tuple[uuid.UUID, Community | None]
DISJOINT = ((S.SENT, S.EXPIRED), (S.ACCEPTED,), (S.DECLINED,), (S.ATTENDED,), (S.NO_SHOW,))


@dataclass(frozen=True)
class Expected:
    invited: int | None
    accepted: int | None
    declined: int | None
    attended: int | None
    no_show: int | None
    withheld: bool
    respondents: int
    rate_attended: int
    ratings: list[int]
    talks: list[bool]
    changes: list[int]
    host_share: float | None
    held: bool | None

    @property
    def response_rate(self) -> float:
        return self.respondents / self.rate_attended

    @property
    def mean_rating(self) -> float:
        return statistics.fmean(self.ratings)

    @property
    def talk_share(self) -> float:
        return sum(self.talks) / len(self.talks)

    @property
    def mean_change(self) -> float:
        return statistics.fmean(self.changes)


def _small(count: int) -> bool:
    return 0 < count < 5


def expected(
    people: list[Person], community: Community | None = None, *, protect: bool = False
) -> Expected:
    """By hand: count statuses, collect answers, pair pre and post per person, per cell."""
    cells: dict[Cell, list[Person]] = defaultdict(list)
    for person in people:
        cells[(person.event_id, person.community)].append(person)

    def count(group: list[Person], *statuses: InvitationStatus) -> int:
        return len([p for p in group if p.status in statuses])

    def shown(cell: Cell) -> bool:
        return not protect or not any(_small(count(cells[cell], *s)) for s in DISJOINT)

    mine = [cell for cell in cells if community is None or cell[1] is community]
    counted = [p for cell in mine if shown(cell) for p in cells[cell]]
    withheld = any(not shown(cell) for cell in mine)
    nothing = withheld and not any(shown(cell) for cell in mine)

    def total(*statuses: InvitationStatus) -> int | None:
        return None if nothing else count(counted, *statuses)

    respondents = rate_attended = 0
    ratings: list[int] = []
    talks: list[bool] = []
    changes: list[int] = []
    for cell in mine:
        group = cells[cell]
        answers = [p.post for p in group if p.post is not None]
        attended = count(group, S.ATTENDED)
        if len(answers) >= 5 and not _small(attended):
            respondents += len(answers)
            rate_attended += attended
        cell_ratings = [a.rating for a in answers if a.rating is not None]
        if len(cell_ratings) >= 5:
            ratings += cell_ratings
        cell_talks = [a.talk for a in answers if a.talk is not None]
        if len(cell_talks) >= 5:
            talks += cell_talks
        cell_changes = [
            p.post.attitude - p.pre
            for p in group
            if p.post is not None and p.post.attitude is not None and p.pre is not None
        ]
        if len(cell_changes) >= 5:
            changes += cell_changes

    # The mix is about the whole room, whatever the community filter (for one event).
    declared_cells = [cell for cell in cells if cell[1] is not None]
    mix_withheld = any(not shown(cell) for cell in declared_cells)
    room_people = [p for cell in cells if shown(cell) for p in cells[cell]]
    room = [p for p in room_people if p.status is S.ATTENDED]
    taken = any(p.status in (S.ATTENDED, S.NO_SHOW) for p in room_people)
    if not taken:
        room = [p for p in room_people if p.status is S.ACCEPTED]
    host = len([p for p in room if p.community is Community.HOST])
    migrant = len([p for p in room if p.community is Community.MIGRANT])
    declared = 0 if mix_withheld else host + migrant
    low = Fraction(2, 5)  # the simulated events' min_share, 0.4
    return Expected(
        invited=total(S.SENT, S.ACCEPTED, S.DECLINED, S.EXPIRED, S.ATTENDED, S.NO_SHOW),
        accepted=total(S.ACCEPTED, S.ATTENDED, S.NO_SHOW),
        declined=total(S.DECLINED),
        attended=total(S.ATTENDED),
        no_show=total(S.NO_SHOW),
        withheld=withheld,
        respondents=respondents,
        rate_attended=rate_attended,
        ratings=ratings,
        talks=talks,
        changes=changes,
        host_share=host / declared if declared else None,
        held=(low * declared <= host <= (1 - low) * declared) if declared else None,
    )
