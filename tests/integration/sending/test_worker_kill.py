"""A worker killed with SIGKILL in the middle of a chunk: every invitation still goes out once.

Run once per channel harness (tests/integration/drills/channels.py). The first worker sends a
batch of 200 to the channel's provider (the fake Messages API for SMS and WhatsApp, a real SMTP
server, the fake Bot API), which holds every send past the 70th unanswered, so the kill lands
inside the second chunk with sends in flight. A second worker finishes the queue; then the
sweeper settles the messages left `sending` (by asking the provider, or by the record of the
hand-over where SMTP and the Bot API keep none to ask, never by sending again) and the release
queues what the dead worker had claimed from the broker but not sent.

SMTP leaves one doubt nothing can remove: the e-mail at DATA when the worker died was handed
over, and whether the server kept it is known to nobody. It counts as sent and is not sent
again (at most once); every other address receives exactly one. Telegram's is the same doubt
once per sending thread: each sendMessage held at the kill was marked handed over and never
delivered. No worker's log names an address.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import Invitation, InvitationStatus, Message, MessageStatus, utcnow
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.tasks import InvitationsFanOut
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import sweep_in_flight
from tests.conftest import redis_database_url
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.drills.channels import (
    ChannelHarness,
    Delivery,
    delivery,
    harness,
    messages_api,
    statuses,
)
from tests.integration.sending.conftest import Rows
from tests.integration.sending.workers import (
    OutboxRelay,
    Worker,
    redis_db,
    unique_queue,
    wait_for,
    worker,
    worker_env,
)
from tests.pii_scan import mentions

pytestmark = pytest.mark.slow

__all__ = ["delivery", "harness", "messages_api"]  # the drills' per-channel fixtures

REDIS_URL = redis_database_url(10)
INVITATIONS = 200
CHUNK = 50
KILL_AFTER_CREATES = 70  # inside the second chunk


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    yield from redis_db(REDIS_URL)


#: kombu's Redis transport keeps each delivered, not yet acknowledged task in this hash.
UNACKED = "unacked"


def wait_until_settled(
    broker: redis.Redis,
    queue: str,
    workers: list[Worker],
    *,
    dead_unacked: int,
    progress: Callable[[], object],
) -> None:
    """Until the second worker has taken and acknowledged every task it can.

    Tasks are acknowledged after they ran (acks_late), so while the second worker still works
    on one it is in the unacked hash beside those the dead worker will never acknowledge. The
    queue empty and nothing unacknowledged but the dead worker's: the second worker is done,
    however slowly the machine ran it.
    """

    def done() -> bool:
        return broker.llen(queue) == 0 and broker.hlen(UNACKED) <= dead_unacked

    wait_for(
        done,
        what="the second worker did not finish the queue",
        workers=workers,
        progress=progress,
    )


def test_a_worker_killed_mid_chunk_sends_nothing_twice_and_nothing_is_lost(
    *,
    rows: Rows,
    raw_engine: Engine,
    messages_api: FakeMessagesApi,
    harness: ChannelHarness,
    delivery: Delivery,
    broker: redis.Redis,
    tmp_path: Path,
) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=INVITATIONS, person=harness.person(rows))
    enqueue(session=rows.session, payload=InvitationsFanOut(batch_id=batch.id))
    rows.session.commit()
    # Sends past the kill point wait unanswered: the kill lands inside the second chunk,
    # with sends in flight, however busy the machine is.
    delivery.hold_after(KILL_AFTER_CREATES)
    queue = unique_queue()
    env = worker_env(
        messages_api,
        REDIS_URL,
        SMS_RATE_PER_SECOND="1000",
        SMS_CHUNK_SIZE=str(CHUNK),
        **delivery.worker_env(),
    )
    channel = harness.channel

    with ExitStack() as running:
        first = running.enter_context(worker(queue=queue, env=env, cwd=tmp_path, name="first"))
        first.wait_until_ready()
        relay = running.enter_context(OutboxRelay(raw_engine, broker_url=REDIS_URL, queue=queue))
        wait_for(
            lambda: delivery.total() >= KILL_AFTER_CREATES,
            what="the first worker did not start sending",
            workers=[first],
            relay=relay,
        )
        first.kill()
        # The held sends end refused: the dead worker's in-flight sends never arrive.
        delivery.release_held()
        created_at_kill = delivery.total()
        # Handed over and never answered: what SMTP can only count as sent.
        handed_at_kill = handed_over(raw_engine, event.id, harness)
        # What the dead worker had taken from the queue stays unacknowledged for good.
        dead_unacked = broker.hlen(UNACKED)
        at_kill = statuses(raw_engine, event, channel)
        assert CHUNK < created_at_kill < 2 * CHUNK, "the kill did not land in the second chunk"
        assert at_kill[harness.delivered] < INVITATIONS

        second = running.enter_context(worker(queue=queue, env=env, cwd=tmp_path, name="second"))
        wait_until_settled(
            broker, queue, [first, second], dead_unacked=dead_unacked, progress=delivery.total
        )
        left = statuses(raw_engine, event, channel)
        # Later, as beat would run them: the sweep settles what was in flight by asking the
        # provider; the release queues what the dead worker held but never claimed.
        later = utcnow() + timedelta(minutes=15)
        swept = sweep_in_flight(
            transaction=session_scope,
            channels=delivery.sweep_channels(),
            settings=get_settings(),
            now=later,
        )
        with session_scope() as session:
            released = release_due(session=session, now=later, chunk_size=CHUNK)
        # Nothing stays `sending`: the doubt, too, is settled.
        wait_for(
            lambda: statuses(raw_engine, event, channel) == {harness.delivered: INVITATIONS},
            what="not every invitation was sent",
            workers=[first, second],
            relay=relay,
            progress=delivery.total,
        )
        logs = [first.log.read_text(errors="replace"), second.log.read_text(errors="replace")]

    delivered = delivery.deliveries()
    addresses = {
        invitation.participant_id: harness.address(rows, invitation.participant_id)
        for invitation in invitations
    }
    assert set(delivered) <= set(addresses.values())
    # Nothing went twice; what never arrived is only what was in doubt at the kill.
    assert set(delivered.values()) == {1}
    missing = {pid for pid, address in addresses.items() if delivered[address] == 0}
    assert missing <= handed_at_kill
    assert len(missing) <= harness.doubt_at_kill
    with Session(raw_engine) as session:
        sids = session.scalars(
            select(Message.provider_sid)
            .join(Invitation, Message.invitation_id == Invitation.id)
            .where(Invitation.event_id == event.id, Message.channel == channel)
        ).all()
        sent = session.scalars(
            select(Invitation.status).where(Invitation.id.in_([i.id for i in invitations]))
        ).all()
    assert len(set(sids)) == INVITATIONS
    assert set(sent) == {InvitationStatus.SENT}
    # No address (a phone, an e-mail, a chat id: some have no shape a scanner knows) in the
    # workers' logs, the crash's included.
    assert not mentions(logs, addresses.values())
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\n{harness.name}: kill after {created_at_kill} sends; at the kill {named(at_kill)}; "
        f"after the second worker {named(left)}; sweep {named(swept or Counter())}; "
        f"released {released}; never arrived {len(missing)}"
    )


def handed_over(engine: Engine, event_id: uuid.UUID, harness: ChannelHarness) -> set[uuid.UUID]:
    """The people whose message on the harness's channel is in flight and marked handed over."""
    with Session(engine) as session:
        return set(
            session.scalars(
                select(Message.participant_id)
                .join(Invitation, Message.invitation_id == Invitation.id)
                .where(
                    Invitation.event_id == event_id,
                    Message.channel == harness.channel,
                    Message.status == MessageStatus.SENDING,
                    Message.sent_at.is_not(None),
                )
            )
        )


def named(counts: Counter[Any]) -> dict[str, int]:
    return {str(key.value): count for key, count in counts.items()}
