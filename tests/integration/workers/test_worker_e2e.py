"""A real Celery worker, as a separate process, on Redis and on the embedded file broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import (
    ActivityType,
    Community,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
    OutboxEntry,
    Participant,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.tasks import EventCancelled
from birge_workers.app import create_celery
from birge_workers.relay import relay_outbox
from tests.conftest import redis_database_url
from tests.integration.workers.conftest import Committed

pytestmark = pytest.mark.slow

REDIS_URL = redis_database_url(5)
WAIT_SECONDS = 90
S = InvitationStatus


@contextmanager
def worker_process(*args: str, env: dict[str, str], cwd: Path) -> Iterator[Path]:
    """`celery worker` in its own process; yields the file its log lines go to."""
    log_path = cwd / f"worker-{uuid.uuid4().hex[:6]}.log"
    command = [sys.executable, "-m", "celery", "-A", "birge_workers.app:celery_app", "worker"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [*command, "--concurrency", "1", "--without-mingle", "--without-gossip", *args],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], *, what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} within {WAIT_SECONDS}s; worker log:\n{log.read_text()[-4000:]}")


def invitation_statuses(engine: Engine, event_id: uuid.UUID) -> set[InvitationStatus]:
    with Session(engine) as session:
        return set(
            session.scalars(select(Invitation.status).where(Invitation.event_id == event_id))
        )


def log_lines(log: Path) -> list[dict[str, object]]:
    lines = []
    for raw in log.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue of this run's own on Redis database 5; its keys are deleted afterwards."""
    queue = f"birge-test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}", pytrace=False)
    yield queue
    keys = list(client.scan_iter(f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_cancellation_reaches_a_real_worker_on_redis(
    committed: Committed, raw_engine: Engine, redis_queue: str, tmp_path: Path
) -> None:
    event = committed.event(status=EventStatus.CANCELLED)
    committed.invitations(event, [S.SENT, S.ACCEPTED, S.WAITLISTED, S.DECLINED])
    entry = committed.outbox(EventCancelled(event_id=event.id))

    publisher = create_celery(Settings(broker_url=REDIS_URL))
    publisher.conf.task_default_queue = redis_queue
    with worker_process(
        "--queues", redis_queue, env={"BROKER_URL": REDIS_URL}, cwd=tmp_path
    ) as log:
        with Session(raw_engine) as session:
            relay_outbox(
                session=session,
                publish=lambda name, payload: publisher.send_task(name, kwargs=payload),
                limit=100,
            )
            session.commit()
        publisher.close()
        wait_for(
            lambda: S.SENT not in invitation_statuses(raw_engine, event.id),
            what="the worker did not withdraw the invitations",
            log=log,
        )

    assert invitation_statuses(raw_engine, event.id) == {S.WITHDRAWN, S.DECLINED}
    with Session(raw_engine) as session:
        stamped = session.get(OutboxEntry, entry.id)
        assert stamped is not None
        assert stamped.published_at is not None
    # The worker logs JSON, and what a task logs carries the task's id.
    task_lines = [line for line in log_lines(log) if line.get("msg") == "invitations withdrawn"]
    assert task_lines
    assert task_lines[0]["event_id"] == str(event.id)
    assert task_lines[0].get("correlation_id")


def _embedded_rows(engine: Engine) -> uuid.UUID:
    """A cancelled event with open invitations and its outbox row, as the API would leave them."""
    starts_at = utcnow() + timedelta(days=30)
    with Session(engine) as session:
        event = Event(
            city_code="osh",
            title={"ru": "Плов вместе"},
            activity_type=ActivityType.COOKING,
            venue_name="Community kitchen",
            venue_address="Kurmanjan Datka 1",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            capacity=8,
            status=EventStatus.CANCELLED,
            cancelled_at=utcnow(),
        )
        session.add(event)
        session.flush()
        for community in (Community.HOST, Community.MIGRANT, Community.HOST):
            participant = Participant(language=Language.KY, city_code="osh", community=community)
            session.add(participant)
            session.flush()
            session.add(
                Invitation(event_id=event.id, participant_id=participant.id, status=S.ACCEPTED)
            )
        enqueue(session=session, payload=EventCancelled(event_id=event.id))
        session.commit()
        return event.id


def test_the_embedded_default_runs_the_whole_chain_without_servers(tmp_path: Path) -> None:
    """SQLite and the file broker; the worker's own beat runs the relay, as in `birge dev`."""
    database_url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        event_id = _embedded_rows(engine)
        env = {
            "DATABASE_URL": database_url,
            "BROKER_URL": "filesystem://",
            "BROKER_FOLDER": str(tmp_path / "broker"),
        }
        with worker_process(
            "--beat", "--schedule", str(tmp_path / "beat-schedule"), env=env, cwd=tmp_path
        ) as log:
            wait_for(
                lambda: invitation_statuses(engine, event_id) == {S.WITHDRAWN},
                what="the embedded worker did not withdraw the invitations",
                log=log,
            )
        with Session(engine) as session:
            assert session.scalar(select(OutboxEntry.published_at)) is not None
        messages = [str(line.get("msg")) for line in log_lines(log)]
        assert "outbox rows published" in messages
        assert any("events.cancelled" in message for message in messages)
        # The relay's tick every second does not fill the log with Celery's routine lines.
        assert not [message for message in messages if "outbox.relay" in message]
    finally:
        engine.dispose()
