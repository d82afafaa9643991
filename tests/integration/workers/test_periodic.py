"""Periodic work runs once per slot even when two beats fire it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import Event, EventStatus, PeriodicRun
from birge_shared.tasks import EVENTS_COMPLETE_PAST
from birge_workers.periodic import KEEP_RUNS, claim_slot, once_per_slot, slot_of
from birge_workers.schedule import COMPLETE_PAST_INTERVAL
from birge_workers.tasks import complete_past
from tests.integration.workers.conftest import Committed
from tests.waiting import wait_until, waits_for_a_lock

INTERVAL = timedelta(minutes=5)
NOON = datetime(2026, 12, 1, 12, 0, 1, tzinfo=UTC)


class Counter:
    """Work that counts its runs, decorated like a periodic task."""

    def __init__(self, task_name: str) -> None:
        self.runs = 0
        self.run = once_per_slot(task_name, INTERVAL)(self._work)

    def _work(self, *, session: Session, now: datetime) -> int:
        self.runs += 1
        return self.runs


@pytest.fixture
def task_name(committed: Committed) -> str:
    name = f"test.periodic.{uuid.uuid4().hex[:12]}"
    committed.periodic_names.add(name)
    return name


def _beat(engine: Engine, counter: Counter, now: datetime) -> int | None:
    with Session(engine) as session:
        result = counter.run(session=session, now=now)
        session.commit()
        return result


def test_two_beats_in_the_same_slot_run_the_work_once(raw_engine: Engine, task_name: str) -> None:
    counter = Counter(task_name)

    assert _beat(raw_engine, counter, NOON) == 1
    # The second beat fires a little later, still inside the same five-minute slot.
    assert _beat(raw_engine, counter, NOON + timedelta(minutes=2)) is None
    assert counter.runs == 1
    # The next slot runs again.
    assert _beat(raw_engine, counter, NOON + INTERVAL) == 2


def test_a_concurrent_second_beat_waits_for_the_first_and_then_skips(
    raw_engine: Engine, task_name: str
) -> None:
    counter = Counter(task_name)
    outcome: list[int | None] = []

    backend: list[int] = []

    def second_beat() -> None:
        with Session(raw_engine) as session:
            backend.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            outcome.append(counter.run(session=session, now=NOON))
            session.commit()

    with Session(raw_engine) as first:
        assert counter.run(session=first, now=NOON) == 1
        # The first beat's claim is not committed yet: the second blocks on the key.
        second = threading.Thread(target=second_beat)
        second.start()
        wait_until(
            lambda: bool(backend) and waits_for_a_lock(raw_engine, backend[0]),
            what="the second beat did not wait for the first",
            alive=second,
        )
        assert outcome == []
        first.commit()
    second.join(timeout=60)

    assert outcome == [None]
    assert counter.runs == 1


def test_work_that_fails_releases_its_slot(raw_engine: Engine, task_name: str) -> None:
    counter = Counter(task_name)
    with Session(raw_engine) as session:
        counter.run(session=session, now=NOON)
        session.rollback()

    assert _beat(raw_engine, counter, NOON) == 2


def test_a_claim_prunes_runs_older_than_a_day(raw_engine: Engine, task_name: str) -> None:
    with Session(raw_engine) as session:
        for age in (KEEP_RUNS * 3, KEEP_RUNS + INTERVAL, timedelta(hours=1)):
            assert claim_slot(
                session=session, task_name=task_name, interval=INTERVAL, now=NOON - age
            )
        session.commit()
        assert claim_slot(session=session, task_name=task_name, interval=INTERVAL, now=NOON)
        session.commit()
        slots = session.scalars(
            select(PeriodicRun.slot).where(PeriodicRun.task_name == task_name)
        ).all()

    assert sorted(slots) == [
        slot_of(NOON - timedelta(hours=1), INTERVAL),
        slot_of(NOON, INTERVAL),
    ]


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_two_beats_on_sqlite_run_the_work_once(sqlite_engine: Engine) -> None:
    counter = Counter("test.periodic.sqlite")

    assert _beat(sqlite_engine, counter, NOON) == 1
    assert _beat(sqlite_engine, counter, NOON + timedelta(seconds=30)) is None
    assert _beat(sqlite_engine, counter, NOON + INTERVAL) == 2
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(PeriodicRun)) == 2


def test_complete_past_closes_ended_events_once_per_slot(
    committed: Committed, raw_engine: Engine
) -> None:
    # A moment of its own, so no other test's claim of the real task's slot is in the way.
    now = (
        datetime(2031, 3, 4, 10, 0, 1, tzinfo=UTC)
        + uuid.uuid4().int % 10_000 * COMPLETE_PAST_INTERVAL
    )
    committed.periodic_names.add(EVENTS_COMPLETE_PAST)
    ended = committed.event(starts_at=now - timedelta(hours=3), hours=2)
    running = committed.event(starts_at=now - timedelta(hours=1), hours=2)
    cancelled = committed.event(starts_at=now - timedelta(hours=3), status=EventStatus.CANCELLED)

    with time_machine.travel(now, tick=False):
        assert complete_past() is not None
        # A second beat's tick in the same slot does nothing.
        assert complete_past() is None

    with Session(raw_engine) as session:
        statuses = {
            event.id: event.status
            for event in session.scalars(
                select(Event).where(Event.id.in_([ended.id, running.id, cancelled.id]))
            )
        }
    assert statuses == {
        ended.id: EventStatus.COMPLETED,
        running.id: EventStatus.SCHEDULED,
        cancelled.id: EventStatus.CANCELLED,
    }
