"""Idempotency-Key on "send invitations": replays, reused keys, and real concurrent requests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.invitations import idempotency, service
from birge_api.invitations.schemas import Criteria, InvitationRequest
from birge_api.problems import Problem
from birge_shared.models import (
    AuditEntry,
    Event,
    EventStatus,
    Invitation,
    InvitationBatch,
    OutboxEntry,
    Participant,
    Role,
    User,
)
from birge_shared.settings import get_settings
from birge_shared.users import create_user
from tests.conftest import TEST_PASSWORD, UserFactory, bearer
from tests.factories import make_event, make_participant
from tests.waiting import wait_until, waits_for_a_lock

Headers = dict[str, str]


def _url(event: Event) -> str:
    return f"/v1/events/{event.id}/invitations"


def _rows(db: Session) -> dict[str, int]:
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Invitation, InvitationBatch, OutboxEntry)
    }


def _send(
    client: TestClient, headers: Headers, event: Event, body: Any, key: str | None
) -> Response:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(_url(event), json=body, headers={**headers, **extra})


def _ids(db: Session, count: int, city: str = "osh") -> list[str]:
    return [str(make_participant(db, city=city).id) for _ in range(count)]


def test_a_replay_returns_the_first_batch_and_creates_nothing(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    ids = _ids(db, 3)
    first = _send(client, osh_headers, event, {"participant_ids": ids}, "key-1")
    assert first.status_code == 202
    assert "idempotent-replayed" not in first.headers
    before = _rows(db)

    # The same request written differently: an explicit null and another key order.
    again = _send(client, osh_headers, event, {"criteria": None, "participant_ids": ids}, "key-1")

    assert again.status_code == 202, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert _rows(db) == before


def test_a_replay_answers_after_the_event_closed(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    body = {"participant_ids": _ids(db, 1)}
    first = _send(client, osh_headers, event, body, "key-1")
    event.status = EventStatus.CANCELLED
    db.commit()

    again = _send(client, osh_headers, event, body, "key-1")

    assert again.status_code == 202, again.text
    assert again.json()["id"] == first.json()["id"]
    assert _send(client, osh_headers, event, body, "key-2").status_code == 409


def _assert_key_reused(response: Response) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/idempotency-key-reused")
    assert problem["errors"][0]["field"] == "Idempotency-Key"


def test_the_same_key_with_another_body_is_refused(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event, other_event = make_event(db, min_share=0), make_event(db, min_share=0)
    ids = _ids(db, 2)
    assert _send(client, osh_headers, event, {"participant_ids": ids[:1]}, "key-1").is_success
    before = _rows(db)

    _assert_key_reused(_send(client, osh_headers, event, {"participant_ids": ids}, "key-1"))
    _assert_key_reused(
        _send(client, osh_headers, other_event, {"participant_ids": ids[:1]}, "key-1")
    )
    assert _rows(db) == before


def test_keys_belong_to_the_user_who_sent_them(
    client: TestClient, make_user: UserFactory, db: Session
) -> None:
    event = make_event(db, min_share=0)
    body: dict[str, Any] = {"criteria": {"max": 2}}
    _ids(db, 4)
    one = bearer(make_user(Role.COORDINATOR, ("osh",)))
    another = bearer(make_user(Role.COORDINATOR, ("osh",)))

    first = _send(client, one, event, body, "shared-key")
    second = _send(client, another, event, body, "shared-key")

    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_bad_key_is_422_and_changes_nothing(
    client: TestClient, osh_headers: Headers, db: Session, key: str
) -> None:
    event = make_event(db, min_share=0)
    body = {"participant_ids": _ids(db, 1)}
    db.commit()
    before = _rows(db)

    response = _send(client, osh_headers, event, body, key)

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"][0]["field"]
    assert _rows(db) == before


def test_a_key_of_200_characters_is_accepted(
    client: TestClient, osh_headers: Headers, db: Session
) -> None:
    event = make_event(db, min_share=0)
    response = _send(client, osh_headers, event, {"participant_ids": _ids(db, 1)}, "k" * 200)
    assert response.status_code == 202


def test_a_lost_race_on_the_unique_key_returns_the_winners_batch(
    db: Session, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request looked before the first had committed: the unique key decides."""
    user = make_user(Role.COORDINATOR, ("osh",))
    actor = Actor(user_id=user.id, role=user.role, cities=frozenset({"osh"}))
    event = make_event(db, min_share=0)
    _ids(db, 4)
    request = InvitationRequest(criteria=Criteria(max=2))
    settings = get_settings()

    def create() -> service.CreatedBatch:
        return service.create_batch(
            session=db,
            actor=actor,
            settings=settings,
            event_id=event.id,
            request=request,
            idempotency_key="race",
        )

    first = create()
    before = _rows(db)
    real_find = idempotency.find_batch
    calls: list[str] = []

    def not_yet_committed(session: Session, *, user_id: uuid.UUID, key: str) -> Any:
        calls.append(key)
        return None if len(calls) == 1 else real_find(session, user_id=user_id, key=key)

    monkeypatch.setattr(idempotency, "find_batch", not_yet_committed)

    second = create()

    assert len(calls) == 2  # missed once, then read the winner after the conflict
    assert second.replayed
    assert second.batch.id == first.batch.id
    assert _rows(db) == before  # the loser's savepoint took its rows with it
    db.flush()  # the transaction is still usable


# ---------------------------------------------------------------- real concurrency


@dataclass
class Committed:
    """Rows committed outside the per-test transaction, removed again after the test."""

    engine: Engine
    user_ids: list[uuid.UUID] = field(default_factory=list)
    event_ids: list[uuid.UUID] = field(default_factory=list)
    participant_ids: list[uuid.UUID] = field(default_factory=list)

    def cleanup(self) -> None:
        with Session(self.engine) as session:
            batch_ids = {
                str(batch_id)
                for batch_id in session.scalars(
                    select(InvitationBatch.id).where(InvitationBatch.event_id.in_(self.event_ids))
                )
            }
            outbox = [
                entry.id
                for entry in session.scalars(select(OutboxEntry))
                if entry.payload.get("batch_id") in batch_ids
            ]
            session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(outbox)))
            session.execute(delete(AuditEntry).where(AuditEntry.actor_id.in_(self.user_ids)))
            session.execute(delete(Event).where(Event.id.in_(self.event_ids)))
            session.execute(delete(Participant).where(Participant.id.in_(self.participant_ids)))
            session.execute(delete(User).where(User.id.in_(self.user_ids)))
            session.commit()


@pytest.fixture
def committed(raw_engine: Engine) -> Iterator[Committed]:
    rows = Committed(engine=raw_engine)
    yield rows
    rows.cleanup()


def _committed_setup(rows: Committed, events: int) -> tuple[Actor, list[Event]]:
    with Session(rows.engine, expire_on_commit=False) as session:
        user = create_user(
            session=session,
            email=f"race-{uuid.uuid4().hex[:8]}@example.org",
            password=TEST_PASSWORD,
            role=Role.COORDINATOR,
            city_codes=("osh",),
        )
        made = [make_event(session, min_share=0) for _ in range(events)]
        people = [make_participant(session) for _ in range(3)]
        session.commit()
    rows.user_ids.append(user.id)
    rows.event_ids.extend(event.id for event in made)
    rows.participant_ids.extend(person.id for person in people)
    return Actor(user_id=user.id, role=Role.COORDINATOR, cities=frozenset({"osh"})), made


def _in_thread(
    engine: Engine, call: Callable[[Session], service.CreatedBatch], results: list[Any]
) -> threading.Thread:
    def run() -> None:
        with Session(engine) as session:
            try:
                results.append(call(session))
                session.commit()
            except Problem as problem:
                session.rollback()
                results.append(problem)
            except Exception as error:  # shown by the test's assertion, not lost in a thread
                session.rollback()
                results.append(error)

    return threading.Thread(target=run)


def _create(actor: Actor, event: Event, key: str) -> Callable[[Session], service.CreatedBatch]:
    def call(session: Session) -> service.CreatedBatch:
        return service.create_batch(
            session=session,
            actor=actor,
            settings=get_settings(),
            event_id=event.id,
            request=InvitationRequest(criteria=Criteria()),
            idempotency_key=key,
        )

    return call


def test_two_concurrent_requests_with_one_key_create_one_batch(committed: Committed) -> None:
    actor, (event,) = _committed_setup(committed, events=1)
    results: list[Any] = []
    barrier = threading.Barrier(2)
    create = _create(actor, event, "concurrent")

    def after_barrier(session: Session) -> service.CreatedBatch:
        barrier.wait(timeout=30)
        return create(session)

    threads = [_in_thread(committed.engine, after_barrier, results) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(result, service.CreatedBatch) for result in results), results
    assert len({result.batch.id for result in results}) == 1
    assert sorted(result.replayed for result in results) == [False, True]
    with Session(committed.engine) as session:
        batches = session.scalar(
            select(func.count())
            .select_from(InvitationBatch)
            .where(InvitationBatch.event_id == event.id)
        )
        invitations = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.event_id == event.id)
        )
    assert (batches, invitations) == (1, 3)


def test_one_key_sent_for_two_events_at_once_is_refused_for_the_second(
    committed: Committed,
) -> None:
    """Different events do not share a lock: the unique key itself settles the race."""
    actor, (first_event, second_event) = _committed_setup(committed, events=2)
    results: list[Any] = []
    backend: list[int] = []
    second_request = _create(actor, second_event, "two-events")

    def noting_its_connection(session: Session) -> service.CreatedBatch:
        backend.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        return second_request(session)

    with Session(committed.engine) as first:
        winner = _create(actor, first_event, "two-events")(first)
        # The first request has written its batch but not committed: the second one finds no
        # batch, then waits on the unique index until the first commits. Its own connection
        # is watched, for as long as it takes on a busy machine.
        loser = _in_thread(committed.engine, noting_its_connection, results)
        loser.start()
        wait_until(
            lambda: bool(backend) and waits_for_a_lock(committed.engine, backend[0]),
            what="the second request never waited for the first",
            alive=loser,
        )
        first.commit()
    loser.join(timeout=60)

    assert len(results) == 1
    problem = results[0]
    assert isinstance(problem, Problem)
    assert problem.status == 422
    assert problem.type_ == "idempotency-key-reused"
    with Session(committed.engine) as session:
        batches = list(
            session.scalars(
                select(InvitationBatch.id).where(InvitationBatch.created_by_id == actor.user_id)
            )
        )
    assert batches == [winner.batch.id]
