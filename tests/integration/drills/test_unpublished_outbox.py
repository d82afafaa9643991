"""The API process dies after its transaction committed and before anything was published.

Nothing is lost, because the API never publishes: the batch and its `invitations.fan_out`
outbox row commit together, and the relay publishes the row whenever it next runs. A relay
that publishes and then dies before stamping the row publishes it again; two relays running
at once do not both take it. The fan-out and the sends it queues run once in effect: every
invitation is delivered by its provider exactly once, on each channel (`channels.py`).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.invitations.schemas import InvitationRequest
from birge_api.invitations.service import create_batch
from birge_shared.db import session_scope
from birge_shared.models import Invitation, InvitationStatus, OutboxEntry, Role
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import InvitationsFanOut
from birge_shared.users import create_user
from birge_workers.app import create_celery
from birge_workers.relay import relay_outbox
from tests.conftest import TEST_PASSWORD
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.drills.channels import ChannelHarness, Delivery, assert_once_each, statuses
from tests.integration.drills.redis_server import ANY_HOUR, OwnRedis
from tests.integration.sending.conftest import Rows
from tests.integration.sending.workers import (
    OutboxRelay,
    unique_queue,
    wait_for,
    worker,
    worker_env,
)

pytestmark = pytest.mark.slow

INVITED = 20


class CountingPublisher:
    """Publishes to the drill's queue and counts what it published, by task name."""

    def __init__(self, celery: Celery, queue: str) -> None:
        self._celery = celery
        self._queue = queue
        self._lock = threading.Lock()
        self.published: Counter[str] = Counter()

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        self._celery.send_task(name, kwargs=payload, queue=self._queue)
        with self._lock:
            self.published[name] += 1


def fan_out_row(engine: Engine, batch_id: uuid.UUID) -> OutboxEntry:
    with Session(engine, expire_on_commit=False) as session:
        entries = [
            entry
            for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.task_name == InvitationsFanOut.task_name)
            )
            if entry.payload.get("batch_id") == str(batch_id)
        ]
    assert len(entries) == 1
    return entries[0]


def relay_once(publish: CountingPublisher) -> int:
    with session_scope() as session:
        return relay_outbox(session=session, publish=publish, limit=100)


def test_a_committed_batch_is_published_later_and_runs_once(
    *,
    rows: Rows,
    raw_engine: Engine,
    messages_api: FakeMessagesApi,
    harness: ChannelHarness,
    delivery: Delivery,
    tmp_path: Path,
) -> None:
    event = rows.event()
    person = harness.person(rows)
    people = [person() for _ in range(INVITED)]
    with session_scope() as session:
        user = create_user(
            session=session,
            email=f"admin-{uuid.uuid4().hex[:8]}@example.org",
            password=TEST_PASSWORD,
            role=Role.ADMIN,
        )
        actor = Actor(user_id=user.id, role=Role.ADMIN, cities=None)
        created = create_batch(
            session=session,
            actor=actor,
            settings=get_settings(),
            event_id=event.id,
            request=InvitationRequest(participant_ids=[person.id for person in people]),
        )
    # Here the API process dies: the rows are committed, and nothing was ever published.
    batch_id = created.batch.id
    assert fan_out_row(raw_engine, batch_id).published_at is None

    queue = unique_queue()
    with OwnRedis(tmp_path) as broker:
        publisher = create_celery(Settings(broker_url=broker.url))
        publish = CountingPublisher(publisher, queue)

        # A relay that publishes and dies before its commit: the row is still unpublished.
        with Session(raw_engine) as session:
            assert relay_outbox(session=session, publish=publish, limit=100) >= 1
            session.rollback()
        assert fan_out_row(raw_engine, batch_id).published_at is None

        # Two relays at once, then one more later: only one of them takes the row.
        start = threading.Barrier(2)
        counts: list[int] = []

        def run() -> None:
            start.wait(timeout=10)
            counts.append(relay_once(publish))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert relay_once(publish) == 0
        assert fan_out_row(raw_engine, batch_id).published_at is not None
        # Published twice in all: by the relay that died, and by one of the two.
        assert publish.published[InvitationsFanOut.task_name] == 2
        publisher.close()

        env = worker_env(
            messages_api,
            broker.url,
            SMS_RATE_PER_SECOND="1000",
            **ANY_HOUR,
            **delivery.worker_env(),
        )
        with (
            worker(queue=queue, env=env, cwd=tmp_path, name="after-crash") as running,
            OutboxRelay(raw_engine, broker_url=broker.url, queue=queue) as relay,
        ):
            running.wait_until_ready()
            wait_for(
                lambda: (
                    statuses(raw_engine, event, harness.channel) == {harness.delivered: INVITED}
                    and invitations_sent(rows, event.id)
                ),
                what="the batch was not sent",
                workers=[running],
                relay=relay,
            )
            # Both deliveries of the fan-out have run (one worker, in order): nothing more comes.
            # Whether the relay or the worker published the sends depends on the channel.
            wait_for(
                lambda: not pending(raw_engine),
                what="the outbox did not drain",
                workers=[running],
                relay=relay,
            )

    with Session(raw_engine) as session:
        invitations = list(
            session.scalars(select(Invitation).where(Invitation.event_id == event.id))
        )
    assert_once_each(harness, delivery, rows, invitations)


def invitations_sent(rows: Rows, event_id: uuid.UUID) -> bool:
    with Session(rows.engine) as session:
        found = Counter(
            session.scalars(select(Invitation.status).where(Invitation.event_id == event_id))
        )
    return found == {InvitationStatus.SENT: INVITED}


def pending(engine: Engine) -> bool:
    with Session(engine) as session:
        return (
            session.scalar(select(OutboxEntry.id).where(OutboxEntry.published_at.is_(None)))
            is not None
        )
