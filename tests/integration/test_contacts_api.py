"""The contact ledger: pairs recorded from groups at attended events, report figures from the
rollups, suppression, erasure and retention leaving every figure as it was."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from birge_api.attendance.service import CheckIn, check_in
from birge_shared import contacts
from birge_shared.models import (
    Community,
    ContactPair,
    ContactRollup,
    Event,
    InvitationStatus,
    Language,
    Participant,
    utcnow,
)
from birge_workers.retention import purge_expired
from tests.factories import make_event, make_invitation, make_participant

Headers = dict[str, str]


def _people(db: Session, hosts: int, migrants: int, city: str = "osh") -> list[Participant]:
    return [
        make_participant(db, community=community, language=Language.RU, city=city)
        for community in [Community.HOST] * hosts + [Community.MIGRANT] * migrants
    ]


def _attended(
    db: Session, people: list[Participant], *, days_ago: int = 1, city: str = "osh"
) -> Event:
    event = make_event(db, city=city, starts_in=timedelta(days=-days_ago, hours=-3))
    for person in people:
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ATTENDED)
    db.commit()
    return event


def _split(client: TestClient, headers: Headers, event: Event, count: int) -> None:
    response = client.post(f"/v1/events/{event.id}/groups", json={"count": count}, headers=headers)
    assert response.status_code == 200, response.text


def _report(client: TestClient, headers: Headers, **params: str) -> list[dict[str, object]]:
    response = client.get("/v1/reports/contacts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    months: list[dict[str, object]] = response.json()["months"]
    return months


def _month(event: Event) -> str:
    return contacts.event_month(event, event.city)


def test_groups_at_an_attended_event_fill_the_ledger_and_the_report(
    client: TestClient, osh_headers: Headers, viewer_headers: Headers, db: Session
) -> None:
    people = _people(db, hosts=5, migrants=5)
    event = _attended(db, people)
    _split(client, osh_headers, event, count=2)

    pairs = db.scalars(select(ContactPair).where(ContactPair.event_id == event.id)).all()
    assert len(pairs) == 2 * 10  # two groups of five: ten pairs each
    assert all(str(pair.participant_a) < str(pair.participant_b) for pair in pairs)
    # Splitting again adds only the pairs the new groups made; nothing counts twice.
    _split(client, osh_headers, event, count=2)
    assert db.scalar(select(func.count()).select_from(ContactPair)) == 20

    (row,) = _report(client, viewer_headers, city="osh", **{"from": _month(event)})
    assert row["participants"] == 10
    share = row["cross_contact_share"]
    assert isinstance(share, dict)
    assert share["value"] == 1.0
    assert share["n"] == 10
    distribution = row["distinct_cross_contacts"]
    assert isinstance(distribution, dict)
    # Each group of five holds two or three of each community: 2 or 3 distinct contacts each.
    counts = distribution["counts"]
    if counts is not None:
        assert sum(counts.values()) == 10
    assert row["repeated_cross_pairs"] in (0, None)
    body = client.get("/v1/reports/contacts", headers=viewer_headers).text
    assert all(str(person.id) not in body for person in people)


def test_a_second_meeting_counts_a_repeated_pair_and_other_cities_stay_out(
    client: TestClient, osh_headers: Headers, admin_headers: Headers, db: Session
) -> None:
    people = _people(db, hosts=5, migrants=5)
    first = _attended(db, people)
    second = _attended(db, people)  # the same day, so the same month
    _split(client, osh_headers, first, count=1)
    _split(client, osh_headers, second, count=1)
    rollup = db.get(ContactRollup, ("osh", _month(second)))
    assert rollup is not None
    assert rollup.repeated_pairs == 25  # every host with every migrant, again
    assert rollup.reached_5 == 10
    assert rollup.people == 10
    elsewhere = _attended(db, _people(db, hosts=3, migrants=3, city="bishkek"), city="bishkek")
    _split(client, admin_headers, elsewhere, count=1)
    assert {row["city"] for row in _report(client, osh_headers)} == {"osh"}
    assert {row["city"] for row in _report(client, admin_headers)} == {"osh", "bishkek"}


def test_small_cells_are_withheld(client: TestClient, admin_headers: Headers, db: Session) -> None:
    few = _people(db, hosts=2, migrants=2, city="bishkek")
    event = _attended(db, few, city="bishkek")
    _split(client, admin_headers, event, count=1)
    (row,) = _report(client, admin_headers, city="bishkek")
    assert row["participants"] is None
    assert row["participants_suppressed"] is True
    share = row["cross_contact_share"]
    assert isinstance(share, dict)
    assert share["suppressed"] is True
    distribution = row["distinct_cross_contacts"]
    assert isinstance(distribution, dict)
    assert distribution["suppressed"] is True


def test_a_check_in_after_the_split_records_the_newcomers_pairs(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    people = _people(db, hosts=3, migrants=3)
    event = make_event(db, starts_in=timedelta(minutes=10))
    for person in people:
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
    db.commit()
    _split(client, osh_headers, event, count=1)  # before the start: the confirmed people
    assert db.scalar(select(func.count()).select_from(ContactPair)) == 0  # nobody came yet
    marked = client.post(
        f"/v1/events/{event.id}/attendance",
        json={"attended": [str(p.id) for p in people[:4]]},
        headers=osh_headers,
    )
    assert marked.status_code == 200, marked.text
    assert db.scalar(select(func.count()).select_from(ContactPair)) == 6  # four people, one group


def test_erasure_removes_the_persons_pairs_and_leaves_every_figure(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    people = _people(db, hosts=5, migrants=5)
    event = _attended(db, people)
    _split(client, osh_headers, event, count=2)
    before = _report(client, osh_headers)
    gone = people[0]
    assert client.delete(f"/v1/participants/{gone.id}", headers=osh_headers).status_code == 204
    db.expire_all()
    assert _report(client, osh_headers) == before
    left = db.scalar(
        select(func.count())
        .select_from(ContactPair)
        .where(or_(ContactPair.participant_a == gone.id, ContactPair.participant_b == gone.id))
    )
    assert left == 0


def test_retention_purges_old_pairs_and_leaves_every_figure(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    people = _people(db, hosts=5, migrants=5)
    old = _attended(db, people, days_ago=200)
    _split(client, osh_headers, old, count=2)
    before = _report(client, osh_headers)
    result = purge_expired(session=db, now=utcnow(), retention_days=180, review_after_days=730)
    db.commit()
    assert result.contact_pairs == 20
    assert db.scalar(select(func.count()).select_from(ContactPair)) == 0
    assert _report(client, osh_headers) == before


def _recomputed(db: Session) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(people, people with a cross-group contact, repeated pairs) per city and month, from
    the ledger's pairs, as the rollup should hold them while nothing was erased."""
    pairs = db.scalars(select(ContactPair).order_by(ContactPair.met_at)).all()
    people: dict[tuple[str, str], set[object]] = defaultdict(set)
    crossed: dict[tuple[str, str], set[object]] = defaultdict(set)
    repeated: dict[tuple[str, str], int] = defaultdict(int)
    meetings: dict[tuple[object, object], int] = defaultdict(int)
    for pair in pairs:
        key = (pair.city_code, pair.month)
        people[key].update((pair.participant_a, pair.participant_b))
        if pair.cross_group:
            crossed[key].update((pair.participant_a, pair.participant_b))
            meetings[(pair.participant_a, pair.participant_b)] += 1
            if meetings[(pair.participant_a, pair.participant_b)] == 2:
                repeated[key] += 1
    return {key: (len(people[key]), len(crossed[key]), repeated[key]) for key in people}


def test_rollups_equal_the_figures_recomputed_from_the_pairs(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    rng = random.Random(7)
    people = _people(db, hosts=8, migrants=8) + [
        make_participant(db, community=None, language=Language.RU) for _ in range(3)
    ]
    for days_ago in (70, 40, 39, 10, 9, 2):
        came = rng.sample(people, rng.randint(6, 14))
        event = _attended(db, came, days_ago=days_ago)
        _split(client, osh_headers, event, count=rng.randint(1, 3))
    rollups = {
        (row.city_code, row.month): (row.people, row.reached_1, row.repeated_pairs)
        for row in db.scalars(select(ContactRollup))
    }
    assert rollups == _recomputed(db)
    assert sum(1 for _ in itertools.islice(rollups, 10)) >= 2  # more than one month was made


def test_a_check_in_with_the_code_records_the_pairs_of_the_persons_group(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    people = _people(db, hosts=1, migrants=1)
    event = make_event(db, starts_in=timedelta(minutes=10))
    event.checkin_code = "4321"
    invitations = [
        make_invitation(db, event=event, participant=person, status=InvitationStatus.ACCEPTED)
        for person in people
    ]
    db.commit()
    _split(client, osh_headers, event, count=1)
    assert check_in(session=db, invitation_id=invitations[0].id, code="4321") is CheckIn.CHECKED_IN
    assert db.scalar(select(func.count()).select_from(ContactPair)) == 0  # one of two came
    assert check_in(session=db, invitation_id=invitations[1].id, code="4321") is CheckIn.CHECKED_IN
    pair = db.scalar(select(ContactPair))
    assert pair is not None
    assert pair.cross_group is True
