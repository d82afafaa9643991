"""A worker killed with SIGKILL in the middle of a chunk: every invitation still goes out once.

The first worker sends a batch of 200 to the fake Messages API, which holds every create past
the 70th unanswered, so the kill lands inside the second chunk with creates in flight. A second
worker finishes the queue; then the sweeper settles the messages left `sending` (by asking the
API, not by sending again) and the release queues what the dead worker had claimed from the
broker but not sent (`kill_drill`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.models import Invitation, InvitationStatus, Message
from birge_workers.sms.channel import SmsChannel
from tests.conftest import redis_database_url
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import Rows, twilio_for
from tests.integration.sending.kill_drill import kill_mid_chunk
from tests.integration.sending.workers import redis_db, worker_env

pytestmark = pytest.mark.slow

REDIS_URL = redis_database_url(10)
INVITATIONS = 200
CHUNK = 50
KILL_AFTER_CREATES = 70  # inside the second chunk


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    yield from redis_db(REDIS_URL)


def test_a_worker_killed_mid_chunk_sends_nothing_twice_and_nothing_is_lost(
    rows: Rows,
    raw_engine: Engine,
    messages_api: FakeMessagesApi,
    broker: redis.Redis,
    tmp_path: Path,
) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=INVITATIONS)

    drilled = kill_mid_chunk(
        rows=rows,
        engine=raw_engine,
        api=messages_api,
        broker=broker,
        broker_url=REDIS_URL,
        cwd=tmp_path,
        env=worker_env(
            messages_api, REDIS_URL, SMS_RATE_PER_SECOND="1000", SMS_CHUNK_SIZE=str(CHUNK)
        ),
        batch=batch,
        event=event,
        invitations=INVITATIONS,
        chunk=CHUNK,
        kill_after=KILL_AFTER_CREATES,
        sweep=SmsChannel(twilio_for(messages_api)),
    )

    assert messages_api.total_creates == INVITATIONS
    assert len(messages_api.creates_by_to) == INVITATIONS
    assert set(messages_api.creates_by_to.values()) == {1}
    with Session(raw_engine) as session:
        sids = session.scalars(
            select(Message.provider_sid)
            .join(Invitation, Message.invitation_id == Invitation.id)
            .where(Invitation.event_id == event.id)
        ).all()
        sent = session.scalars(
            select(Invitation.status).where(Invitation.id.in_([i.id for i in invitations]))
        ).all()
    assert len(set(sids)) == INVITATIONS
    assert set(sent) == {InvitationStatus.SENT}
    print(f"\n{drilled.figures()}")  # noqa: T201 - the drill's figures, shown with -s
