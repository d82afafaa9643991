from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from birge_shared.balance import (
    Candidate,
    Held,
    in_band,
    next_from_waitlist,
    propose,
    seat_limit,
    under_represented,
)
from birge_shared.models.enums import Community

HOST, MIGRANT = Community.HOST, Community.MIGRANT


def people(community: Community | None, count: int, **kwargs: object) -> list[Candidate]:
    return [Candidate(id=uuid.uuid4(), community=community, **kwargs) for _ in range(count)]  # type: ignore[arg-type]


def test_band_edges() -> None:
    assert in_band(8, 12, 0.4)
    assert in_band(12, 8, 0.4)
    assert not in_band(13, 7, 0.4)
    assert in_band(0, 0, 0.4)
    assert not in_band(1, 0, 0.4)
    assert in_band(5, 0, 0.0)
    assert in_band(3, 3, 0.5)
    assert not in_band(4, 3, 0.5)
    assert under_represented(13, 7, 0.4) is MIGRANT
    assert under_represented(7, 13, 0.4) is HOST


def test_proposal_fills_capacity_inside_the_band() -> None:
    pool = people(HOST, 30) + people(MIGRANT, 30)
    proposal = propose(pool, capacity=20, min_share=0.4)
    communities = {c.id: c.community for c in pool}
    invited = Counter(communities[i] for i in proposal.invite)
    assert len(proposal.invite) == 20
    assert in_band(invited[HOST], invited[MIGRANT], 0.4)
    assert len(proposal.waitlist) == 40
    assert set(proposal.invite).isdisjoint(proposal.waitlist)


def test_a_scarce_community_limits_the_other() -> None:
    pool = people(HOST, 30) + people(MIGRANT, 4)
    proposal = propose(pool, capacity=20, min_share=0.4)
    communities = {c.id: c.community for c in pool}
    invited = Counter(communities[i] for i in proposal.invite)
    # 4 migrants allow at most 6 hosts at 40/60.
    assert invited == Counter({HOST: 6, MIGRANT: 4})


def test_undeclared_people_fill_the_remaining_seats() -> None:
    pool = people(HOST, 3) + people(MIGRANT, 3) + people(None, 10)
    proposal = propose(pool, capacity=10, min_share=0.4)
    communities = {c.id: c.community for c in pool}
    invited = Counter(communities[i] for i in proposal.invite)
    assert invited == Counter({HOST: 3, MIGRANT: 3, None: 4})


def test_people_invited_least_and_least_recently_come_first() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    fresh = people(HOST, 2) + people(MIGRANT, 2)
    recent = [
        Candidate(id=uuid.uuid4(), community=HOST, times_invited=1, last_invited_at=now),
        Candidate(id=uuid.uuid4(), community=MIGRANT, times_invited=1, last_invited_at=now),
    ]
    older = [
        Candidate(
            id=uuid.uuid4(),
            community=HOST,
            times_invited=1,
            last_invited_at=now - timedelta(days=60),
        ),
        Candidate(
            id=uuid.uuid4(),
            community=MIGRANT,
            times_invited=1,
            last_invited_at=now - timedelta(days=60),
        ),
    ]
    proposal = propose(recent + older + fresh, capacity=6, min_share=0.5)
    assert set(proposal.invite) == {c.id for c in fresh + older}
    assert set(proposal.waitlist) == {c.id for c in recent}


def test_the_proposal_is_deterministic() -> None:
    pool = people(HOST, 15) + people(MIGRANT, 9) + people(None, 5)
    first = propose(pool, capacity=12, min_share=0.4)
    assert propose(list(reversed(pool)), capacity=12, min_share=0.4) == first


def test_over_invite_factor_raises_the_seat_limit() -> None:
    assert seat_limit(20, 1.0) == 20
    assert seat_limit(20, 1.25) == 25
    pool = people(HOST, 30) + people(MIGRANT, 30)
    assert len(propose(pool, capacity=20, min_share=0.4, over_invite=1.25).invite) == 25


def test_a_freed_seat_goes_to_the_under_represented_community() -> None:
    waiting = people(HOST, 3) + people(MIGRANT, 1)
    # 12 hosts and 7 migrants hold seats after a migrant declined: 63 % hosts.
    chosen = next_from_waitlist(Held(12, 7), waiting, seats=20, min_share=0.4)
    assert chosen is not None
    assert chosen.community is MIGRANT
    assert next_from_waitlist(Held(12, 7), people(HOST, 3), seats=20, min_share=0.4) is None
    assert next_from_waitlist(Held(10, 10), waiting, seats=20, min_share=0.4) is None


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Candidate], int, float, list[tuple[str, int]]]:
    hosts = draw(st.integers(0, 25))
    migrants = draw(st.integers(0, 25))
    others = draw(st.integers(0, 8))
    pool = [
        Candidate(
            id=uuid.UUID(int=i + 1), community=community, times_invited=draw(st.integers(0, 3))
        )
        for i, community in enumerate([HOST] * hosts + [MIGRANT] * migrants + [None] * others)
    ]
    capacity = draw(st.integers(1, 30))
    min_share = draw(st.sampled_from([0.0, 0.25, 0.3, 0.4, 0.45, 0.5]))
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(["accept", "decline", "expire"]), st.integers(0, 10_000)),
            max_size=60,
        )
    )
    return pool, capacity, min_share, steps


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_held_seats_never_leave_the_band_while_the_waitlist_allows(
    scenario: tuple[list[Candidate], int, float, list[tuple[str, int]]],
) -> None:
    pool, capacity, min_share, steps = scenario
    by_id = {c.id: c for c in pool}
    proposal = propose(pool, capacity=capacity, min_share=min_share)
    seats = seat_limit(capacity)
    open_ids = list(proposal.invite)  # invited, no answer yet
    accepted: list[uuid.UUID] = []
    waitlist = [by_id[i] for i in proposal.waitlist]

    def held() -> Held:
        result = Held()
        for person in open_ids + accepted:
            result = result.plus(by_id[person].community)
        return result

    assert in_band(held().host, held().migrant, min_share)
    for action, pick in steps:
        if not open_ids:
            break
        person = open_ids.pop(pick % len(open_ids))
        if action == "accept":
            accepted.append(person)
        else:
            while (
                chosen := next_from_waitlist(held(), waitlist, seats=seats, min_share=min_share)
            ) is not None:
                waitlist.remove(chosen)
                open_ids.append(chosen.id)
        now = held()
        assert now.total <= seats
        needed = under_represented(now.host, now.migrant, min_share)
        if needed is not None:
            # Outside the band only when nobody waiting could bring it back.
            assert all(c.community is not needed for c in waitlist)
