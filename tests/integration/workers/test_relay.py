"""The outbox relay against real PostgreSQL and a real SQLite file."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import OutboxEntry, utcnow
from birge_shared.tasks import EventCancelled
from birge_workers.relay import relay_outbox, retry_delay
from tests.integration.workers.conftest import Committed

Published = list[tuple[str, dict[str, Any]]]


class BrokerDownError(ConnectionError):
    pass


def _recorder(into: Published) -> Any:
    def publish(name: str, payload: dict[str, Any]) -> None:
        into.append((name, payload))

    return publish


def _ours(published: Published, entries: list[OutboxEntry]) -> list[str]:
    ids = {entry.payload["event_id"] for entry in entries}
    return [payload["event_id"] for _, payload in published if payload["event_id"] in ids]


def _reload(engine: Engine, entry_id: int) -> OutboxEntry:
    with Session(engine) as session:
        entry = session.get(OutboxEntry, entry_id)
        assert entry is not None
        session.expunge(entry)
        return entry


def test_publishes_due_rows_by_name_in_id_order_and_stamps_them(
    committed: Committed, raw_engine: Engine
) -> None:
    entries = [committed.cancellation() for _ in range(3)]
    later = committed.outbox(
        EventCancelled(event_id=uuid.uuid4()), available_at=utcnow() + timedelta(hours=1)
    )
    published: Published = []

    with Session(raw_engine) as session:
        count = relay_outbox(session=session, publish=_recorder(published), limit=100)
        session.commit()

    assert count >= 3
    assert _ours(published, entries) == [entry.payload["event_id"] for entry in entries]
    assert {name for name, _ in published} == {"events.cancelled"}
    assert later.payload["event_id"] not in _ours(published, [later])
    for entry in entries:
        assert _reload(raw_engine, entry.id).published_at is not None
    assert _reload(raw_engine, later.id).published_at is None

    # A second run finds nothing left to publish: stamped rows are never sent again.
    again: Published = []
    with Session(raw_engine) as session:
        relay_outbox(session=session, publish=_recorder(again), limit=100)
        session.commit()
    assert _ours(again, entries) == []


def test_a_publish_failure_leaves_the_row_for_later_with_a_backoff(
    committed: Committed, raw_engine: Engine
) -> None:
    entry = committed.cancellation()

    def broken(name: str, payload: dict[str, Any]) -> None:
        # The text quotes the payload, as a driver error might; it must not be stored.
        raise BrokerDownError(f"cannot send {payload}")

    before = utcnow()
    with Session(raw_engine) as session:
        assert relay_outbox(session=session, publish=broken, limit=100) == 0
        session.commit()

    failed = _reload(raw_engine, entry.id)
    assert failed.published_at is None
    assert failed.attempts == 1
    assert failed.last_error == "BrokerDownError"
    assert failed.available_at >= before + retry_delay(1)

    # Until the backoff has passed the row is not due, even with a working broker.
    published: Published = []
    with Session(raw_engine) as session:
        relay_outbox(session=session, publish=_recorder(published), limit=100)
        session.commit()
    assert _ours(published, [entry]) == []

    with Session(raw_engine) as session:
        relay_outbox(
            session=session,
            publish=_recorder(published),
            limit=100,
            now=failed.available_at + timedelta(seconds=1),
        )
        session.commit()
    assert _ours(published, [entry]) == [entry.payload["event_id"]]
    assert _reload(raw_engine, entry.id).published_at is not None


def test_rows_outside_the_contract_are_never_published(
    committed: Committed, raw_engine: Engine
) -> None:
    unknown = committed.raw_outbox("sms.typo", {"event_id": str(uuid.uuid4())})
    # A field beyond ids (here a phone number) is refused before it reaches the broker.
    leaky = committed.raw_outbox(
        "events.cancelled", {"event_id": str(uuid.uuid4()), "phone": "+996555123456"}
    )
    published: Published = []
    with Session(raw_engine) as session:
        relay_outbox(session=session, publish=_recorder(published), limit=100)
        session.commit()

    assert _ours(published, [unknown, leaky]) == []
    assert _reload(raw_engine, unknown.id).last_error == "UnknownTaskError"
    refused = _reload(raw_engine, leaky.id)
    assert refused.last_error == "ValidationError"
    assert refused.attempts == 1
    assert refused.published_at is None


def test_concurrent_relays_publish_each_row_exactly_once(
    committed: Committed, raw_engine: Engine
) -> None:
    entries = [committed.cancellation() for _ in range(10)]
    first: Published = []
    second: Published = []

    def publish_while_the_other_relay_runs(name: str, payload: dict[str, Any]) -> None:
        if not first:
            # The first relay holds its row locks now; the second runs to completion on its
            # own connection meanwhile. Without SKIP LOCKED it would block here (or, without
            # FOR UPDATE, publish the first relay's rows a second time).
            with Session(raw_engine) as other:
                # Fail fast instead of hanging should the relay ever wait for those locks.
                other.execute(text("SET LOCAL lock_timeout = '5s'"))
                relay_outbox(session=other, publish=_recorder(second), limit=100)
                other.commit()
        first.append((name, payload))

    with Session(raw_engine) as session:
        relay_outbox(session=session, publish=publish_while_the_other_relay_runs, limit=4)
        session.commit()

    by_first, by_second = _ours(first, entries), _ours(second, entries)
    assert by_first
    assert by_second
    assert not set(by_first) & set(by_second)
    assert sorted(by_first + by_second) == sorted(entry.payload["event_id"] for entry in entries)
    assert all(_reload(raw_engine, entry.id).published_at is not None for entry in entries)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _sqlite_outbox(engine: Engine, count: int) -> list[OutboxEntry]:
    with Session(engine, expire_on_commit=False) as session:
        entries = [
            OutboxEntry(
                task_name="events.cancelled",
                payload=EventCancelled(event_id=uuid.uuid4()).model_dump(mode="json"),
            )
            for _ in range(count)
        ]
        session.add_all(entries)
        session.commit()
        return entries


def test_relay_on_sqlite_publishes_and_backs_off(sqlite_engine: Engine) -> None:
    good, bad = _sqlite_outbox(sqlite_engine, 2)
    published: Published = []

    def publish(name: str, payload: dict[str, Any]) -> None:
        if payload["event_id"] == bad.payload["event_id"]:
            raise BrokerDownError
        published.append((name, payload))

    with Session(sqlite_engine) as session:
        assert relay_outbox(session=session, publish=publish, limit=10) == 1
        session.commit()

    assert published == [("events.cancelled", good.payload)]
    assert _reload(sqlite_engine, good.id).published_at is not None
    failed = _reload(sqlite_engine, bad.id)
    assert (failed.published_at, failed.attempts, failed.last_error) == (None, 1, "BrokerDownError")
    with Session(sqlite_engine) as session:
        pending = session.scalars(select(OutboxEntry.id).where(OutboxEntry.published_at.is_(None)))
        assert list(pending) == [bad.id]


def test_concurrent_relays_on_sqlite_do_not_publish_a_row_twice(sqlite_engine: Engine) -> None:
    entries = _sqlite_outbox(sqlite_engine, 6)
    first: Published = []
    second: Published = []
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with Session(sqlite_engine) as other:
                relay_outbox(session=other, publish=_recorder(second), limit=100)
                other.commit()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    other_relay = threading.Thread(target=run_second)

    def publish(name: str, payload: dict[str, Any]) -> None:
        if not first:
            # The second relay starts while the first is between reading and stamping; it
            # must wait for SQLite's writer lock and then see the rows already stamped.
            other_relay.start()
            other_relay.join(timeout=0.5)
        first.append((name, payload))

    with Session(sqlite_engine) as session:
        relay_outbox(session=session, publish=publish, limit=100)
        session.commit()
    other_relay.join(timeout=30)

    assert not other_relay.is_alive()
    assert errors == []
    assert len(first) == len(entries)
    assert second == []
