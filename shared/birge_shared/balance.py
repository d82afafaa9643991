"""The mix band: which participants to invite so that host and migrant seats stay balanced.

The band applies to *held seats*: accepted invitations plus invitations still waiting for an
answer, i.e. the confirmed set if everyone who has not answered yet says yes. Each declared
community must make up between `min_share` and `1 - min_share` of the held seats of people who
declared a community; people who did not declare one take seats without moving the shares.
Keeping the held set inside the band keeps every confirmed set reachable inside it too.

Pure functions over plain values, so the API (proposals), the workers (refilling a freed seat)
and property tests share one definition.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from birge_shared.models.enums import Community


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    community: Community | None
    times_invited: int = 0
    last_invited_at: datetime | None = None

    def priority(self) -> tuple[int, float, str]:
        """Invited least often first, then least recently (never before ever), then by id."""
        last = self.last_invited_at.timestamp() if self.last_invited_at else -math.inf
        return (self.times_invited, last, str(self.id))


@dataclass(frozen=True)
class Held:
    """Seats held by people who declared a community (`host`, `migrant`) and by the rest."""

    host: int = 0
    migrant: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.host + self.migrant + self.other

    def plus(self, community: Community | None) -> Held:
        if community is Community.HOST:
            return Held(self.host + 1, self.migrant, self.other)
        if community is Community.MIGRANT:
            return Held(self.host, self.migrant + 1, self.other)
        return Held(self.host, self.migrant, self.other + 1)


@dataclass(frozen=True)
class Proposal:
    invite: list[uuid.UUID]
    waitlist: list[uuid.UUID]


@functools.lru_cache(maxsize=256)
def _share(min_share: float) -> Fraction:
    # Through str() so 0.4 means 2/5 exactly, not the binary float nearest to it. Cached: a
    # summary judges thousands of rooms against the same few bands, and parsing is the cost.
    return Fraction(str(min_share))


def in_band(host: int, migrant: int, min_share: float) -> bool:
    declared = host + migrant
    if declared == 0:
        return True
    # The band's ends as integers: share = p / q, so share × declared <= host is
    # p × declared <= q × host. Exact as the fractions, without building one per room.
    share = _share(min_share)
    low, whole = share.numerator, share.denominator
    return low * declared <= whole * host <= (whole - low) * declared


def under_represented(host: int, migrant: int, min_share: float) -> Community | None:
    """The community below its minimum share, if the held set is outside the band."""
    if in_band(host, migrant, min_share):
        return None
    return Community.MIGRANT if host > migrant else Community.HOST


def seat_limit(capacity: int, over_invite: float = 1.0) -> int:
    """How many seats may be held at once: the capacity, times the over-invite factor."""
    return max(capacity, math.floor(capacity * over_invite))


def propose(
    candidates: Iterable[Candidate], *, capacity: int, min_share: float, over_invite: float = 1.0
) -> Proposal:
    """Fill the seats inside the band, preferring people invited least; the rest wait.

    Declared participants are placed first (the point of an event is the mix); people without
    a declared community fill what is left. Among the largest balanced choices the one whose
    people have the best priorities wins, and every tie is broken by id, so the same input
    always gives the same proposal.
    """
    ordered = sorted(candidates, key=Candidate.priority)
    rank = {candidate.id: position for position, candidate in enumerate(ordered)}
    hosts = [c for c in ordered if c.community is Community.HOST]
    migrants = [c for c in ordered if c.community is Community.MIGRANT]
    others = [c for c in ordered if c.community is None]
    seats = seat_limit(capacity, over_invite)

    host_rank_sums = _prefix_sums(rank[c.id] for c in hosts)
    migrant_rank_sums = _prefix_sums(rank[c.id] for c in migrants)
    best: tuple[int, int, int, int] | None = None  # (-declared, rank sum, hosts, migrants)
    for host_count in range(min(len(hosts), seats) + 1):
        for migrant_count in range(min(len(migrants), seats - host_count), -1, -1):
            if in_band(host_count, migrant_count, min_share):
                key = (
                    -(host_count + migrant_count),
                    host_rank_sums[host_count] + migrant_rank_sums[migrant_count],
                    host_count,
                    migrant_count,
                )
                if best is None or key < best:
                    best = key
                break  # the largest balanced migrant count for this host count
    assert best is not None  # (0, 0) is always inside the band
    _, _, host_count, migrant_count = best
    other_count = min(len(others), seats - host_count - migrant_count)

    chosen = {c.id for c in hosts[:host_count] + migrants[:migrant_count] + others[:other_count]}
    return Proposal(
        invite=[c.id for c in ordered if c.id in chosen],
        waitlist=[c.id for c in ordered if c.id not in chosen],
    )


def _prefix_sums(values: Iterable[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def next_from_waitlist(
    held: Held, waitlist: Sequence[Candidate], *, seats: int, min_share: float
) -> Candidate | None:
    """Who gets a freed seat: the first waiting person who keeps the held set in the band.

    When the held set has left the band (someone from the smaller community declined), only
    a person from the under-represented community is taken, since anyone else would keep the
    room unbalanced. `None` means the seat stays open: nobody waiting fits.
    """
    if held.total >= seats:
        return None
    needed = under_represented(held.host, held.migrant, min_share)
    for candidate in sorted(waitlist, key=Candidate.priority):
        if needed is not None:
            if candidate.community is needed:
                return candidate
            continue
        after = held.plus(candidate.community)
        if in_band(after.host, after.migrant, min_share):
            return candidate
    return None


def why_seat_is_open(held: Held, waitlist: Sequence[Candidate], *, min_share: float) -> str:
    """A coordinator-facing reason for a seat nobody on the waitlist could take."""
    if not waitlist:
        return "the waitlist is empty"
    needed = under_represented(held.host, held.migrant, min_share)
    if needed is not None:
        return f"the mix needs a {needed.value} participant and none is waiting"
    return "every waiting participant would move the mix outside the band"
