"""The broker's Redis restarted in the middle of a 1,000-invitation fan-out.

Redis runs without persistence, so the restart loses every task that sat in it: chunks queued
and not yet taken, and the chunk a worker held unacknowledged. The worker reconnects by
itself; the relay keeps what it could not publish and publishes it later; the periodic release
queues the planned messages whose task was lost and the sweeper settles any message caught in
flight. Afterwards every invitation has been delivered by its provider exactly once, on each
channel (`channels.py`: SMS to the fake Messages API, e-mail to a real SMTP server).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import (
    Event,
    Invitation,
    InvitationStatus,
    MessageChannel,
    MessageStatus,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.tasks import InvitationsFanOut
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import sweep_in_flight
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.drills.channels import ChannelHarness, Delivery, assert_once_each, statuses
from tests.integration.drills.redis_server import ANY_HOUR, OwnRedis
from tests.integration.sending.conftest import Rows
from tests.integration.sending.workers import (
    OutboxRelay,
    Worker,
    unique_queue,
    wait_for,
    worker,
    worker_env,
)

pytestmark = pytest.mark.slow

INVITATIONS = 1000
CHUNK = 50
CRASH_AFTER_CREATES = 300
DOWN_SECONDS = 2.0
RECOVERY_ROUNDS = 5


def settled(
    engine: Engine, event: Event, channel: MessageChannel, client: redis.Redis, queue: str
) -> Callable[[], bool]:
    """True once the queue is empty and no message changed over the last two seconds."""
    seen: list[Counter[MessageStatus]] = []

    def check() -> bool:
        seen.append(statuses(engine, event, channel))
        time.sleep(0.4)
        try:
            empty = client.llen(queue) == 0
        except redis.ConnectionError:
            return False
        return empty and len(seen) >= 5 and all(s == seen[-1] for s in seen[-5:])

    return check


def test_a_redis_restart_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    *,
    rows: Rows,
    raw_engine: Engine,
    messages_api: FakeMessagesApi,
    harness: ChannelHarness,
    delivery: Delivery,
    tmp_path: Path,
) -> None:
    event = rows.event(capacity=INVITATIONS)
    batch, invitations = rows.batch(event, planned=INVITATIONS, person=harness.person(rows))
    channel = harness.channel
    enqueue(session=rows.session, payload=InvitationsFanOut(batch_id=batch.id))
    rows.session.commit()
    queue = unique_queue()

    with OwnRedis(tmp_path) as broker:
        client = redis.Redis.from_url(broker.url, socket_timeout=2, socket_connect_timeout=2)
        env = worker_env(
            messages_api,
            broker.url,
            SMS_RATE_PER_SECOND="1000",
            SMS_CHUNK_SIZE=str(CHUNK),
            **ANY_HOUR,
            **delivery.worker_env(),
        )
        with (
            worker(queue=queue, env=env, cwd=tmp_path, name="drill") as running,
            OutboxRelay(raw_engine, broker_url=broker.url, queue=queue) as relay,
        ):
            workers: list[Worker] = [running]
            running.wait_until_ready()
            wait_for(
                lambda: delivery.total() >= CRASH_AFTER_CREATES,
                what="the worker did not start sending",
                workers=workers,
                relay=relay,
                progress=delivery.total,
            )
            broker.crash()
            created_at_crash = delivery.total()
            time.sleep(DOWN_SECONDS)
            broker.start()
            assert created_at_crash < INVITATIONS, "the crash came after the fan-out ended"

            # What beat would do over the next hour: release the planned messages whose task
            # the restart lost, settle those caught in flight, until every one went out.
            rounds = 0
            released = 0
            while statuses(raw_engine, event, channel) != {harness.delivered: INVITATIONS}:
                rounds += 1
                assert rounds <= RECOVERY_ROUNDS, (
                    f"still not sent: {statuses(raw_engine, event, channel)}"
                )
                wait_for(
                    settled(raw_engine, event, channel, client, queue),
                    what="the worker did not settle after the restart",
                    workers=workers,
                    relay=relay,
                    progress=delivery.total,
                )
                later = utcnow() + timedelta(minutes=15 * rounds)
                sweep_in_flight(
                    transaction=session_scope,
                    channels=delivery.sweep_channels(),
                    settings=get_settings(),
                    now=later,
                )
                with session_scope() as session:
                    released += release_due(session=session, now=later, chunk_size=CHUNK)
        client.close()

    assert_once_each(harness, delivery, rows, invitations)
    with Session(raw_engine) as session:
        sent = Counter(
            session.scalars(
                select(Invitation.status).where(Invitation.id.in_([i.id for i in invitations]))
            )
        )
    assert sent == {InvitationStatus.SENT: INVITATIONS}
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\n{harness.name}: crash after {created_at_crash} sends; {rounds} recovery rounds; "
        f"released {released}; relay published {relay.published}"
    )
