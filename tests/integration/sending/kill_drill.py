"""The SIGKILL-mid-chunk drill, for any channel Twilio carries: one worker is killed inside
its second chunk with creates in flight, a second worker finishes the queue, then the sweeper
settles what was left `sending` (by asking the API, not by sending again) and the release
queues what the dead worker had claimed from the broker but not sent.

The fake Messages API holds every create past the kill point unanswered, so the kill lands
where it should however busy the machine is. The caller makes the batch (its people on the
channel under test) and asserts on the API's counts.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import (
    Event,
    Invitation,
    InvitationBatch,
    Message,
    MessageStatus,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.tasks import InvitationsFanOut
from birge_workers.outbound.channel import Channel
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import Settled, sweep_in_flight
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import Rows
from tests.integration.sending.workers import (
    OutboxRelay,
    Worker,
    unique_queue,
    wait_for,
    worker,
)

#: kombu's Redis transport keeps each delivered, not yet acknowledged task in this hash.
UNACKED = "unacked"


def statuses(engine: Engine, event: Event) -> Counter[MessageStatus]:
    with Session(engine) as session:
        return Counter(
            session.scalars(
                select(Message.status)
                .join(Invitation, Message.invitation_id == Invitation.id)
                .where(Invitation.event_id == event.id)
            )
        )


def wait_until_settled(
    broker: redis.Redis, queue: str, workers: list[Worker], *, dead_unacked: int
) -> None:
    """Until the second worker has taken and acknowledged every task it can.

    Tasks are acknowledged after they ran (acks_late), so while the second worker still works
    on one it is in the unacked hash beside those the dead worker will never acknowledge. The
    queue empty and nothing unacknowledged but the dead worker's: the second worker is done,
    however slowly the machine ran it.
    """

    def done() -> bool:
        return broker.llen(queue) == 0 and broker.hlen(UNACKED) <= dead_unacked

    wait_for(done, what="the second worker did not finish the queue", workers=workers)


def named(counts: Counter[Any]) -> dict[str, int]:
    return {str(key.value): count for key, count in counts.items()}


@dataclass(frozen=True)
class Drilled:
    """What the drill saw along the way, for the test's failure messages and figures."""

    created_at_kill: int
    at_kill: Counter[MessageStatus]
    left: Counter[MessageStatus]
    swept: Counter[Settled]
    released: int

    def figures(self) -> str:
        return (
            f"kill after {self.created_at_kill} creates; at the kill {named(self.at_kill)}; "
            f"after the second worker {named(self.left)}; sweep {named(self.swept)}; "
            f"released {self.released}"
        )


def kill_mid_chunk(
    *,
    rows: Rows,
    engine: Engine,
    api: FakeMessagesApi,
    broker: redis.Redis,
    broker_url: str,
    cwd: Path,
    env: dict[str, str],
    batch: InvitationBatch,
    event: Event,
    invitations: int,
    chunk: int,
    kill_after: int,
    sweep: Channel,
) -> Drilled:
    """Fan the batch out through real workers, kill the first mid-chunk, and settle."""
    enqueue(session=rows.session, payload=InvitationsFanOut(batch_id=batch.id))
    rows.session.commit()
    api.hold_after = kill_after
    queue = unique_queue()
    with ExitStack() as running:
        first = running.enter_context(worker(queue=queue, env=env, cwd=cwd, name="first"))
        first.wait_until_ready()
        relay = running.enter_context(OutboxRelay(engine, broker_url=broker_url, queue=queue))
        wait_for(
            lambda: api.total_creates >= kill_after,
            what="the first worker did not start sending",
            workers=[first],
            relay=relay,
        )
        first.kill()
        api.release_held()
        created_at_kill = api.total_creates
        # What the dead worker had taken from the queue stays unacknowledged for good.
        dead_unacked = broker.hlen(UNACKED)
        at_kill = statuses(engine, event)
        assert chunk < created_at_kill < 2 * chunk, "the kill did not land in the second chunk"
        assert at_kill[MessageStatus.QUEUED] < invitations

        second = running.enter_context(worker(queue=queue, env=env, cwd=cwd, name="second"))
        wait_until_settled(broker, queue, [first, second], dead_unacked=dead_unacked)
        left = statuses(engine, event)
        # Later, as beat would run them.
        later = utcnow() + timedelta(minutes=15)
        swept = sweep_in_flight(
            transaction=session_scope, channels=[sweep], settings=get_settings(), now=later
        )
        with session_scope() as session:
            released = release_due(session=session, now=later, chunk_size=chunk)
        wait_for(
            lambda: statuses(engine, event) == {MessageStatus.QUEUED: invitations},
            what="not every invitation was sent",
            workers=[first, second],
            relay=relay,
        )
    return Drilled(
        created_at_kill=created_at_kill,
        at_kill=at_kill,
        left=left,
        swept=swept or Counter(),
        released=released,
    )
