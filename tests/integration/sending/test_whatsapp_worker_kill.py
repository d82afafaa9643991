"""A worker killed with SIGKILL in the middle of a chunk of WhatsApp invitations: every number
still gets exactly one create.

The drill of `test_worker_kill` on the WhatsApp channel: the fake Messages API holds every
create past the kill point unanswered, the first worker dies inside its second chunk, a second
worker finishes the queue, and the sweeper settles what was in flight by asking the API for the
number's messages since the attempt began (a template has no text of ours to compare).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.db import session_scope
from birge_shared.models import (
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageStatus,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.tasks import InvitationsFanOut
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import sweep_in_flight
from birge_workers.sms.twilio_provider import TwilioMessages
from birge_workers.whatsapp.channel import WhatsAppChannel
from birge_workers.whatsapp.provider import TwilioWhatsApp
from tests.conftest import redis_database_url
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import Rows
from tests.integration.sending.test_worker_kill import (
    UNACKED,
    named,
    statuses,
    wait_until_settled,
)
from tests.integration.sending.whatsapp import (
    WHATSAPP_FROM,
    approved_invitation_templates,
    opt_in,
)
from tests.integration.sending.workers import (
    OutboxRelay,
    redis_db,
    unique_queue,
    wait_for,
    worker,
    worker_env,
)

pytestmark = pytest.mark.slow

REDIS_URL = redis_database_url(11)
INVITATIONS = 120
CHUNK = 30
KILL_AFTER_CREATES = 45  # inside the second chunk


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    yield from redis_db(REDIS_URL)


def test_a_worker_killed_mid_chunk_sends_each_whatsapp_invitation_once(
    rows: Rows,
    raw_engine: Engine,
    messages_api: FakeMessagesApi,
    broker: redis.Redis,
    tmp_path: Path,
) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=INVITATIONS)
    for invitation in invitations:
        opt_in(rows.session, invitation.participant_id)
    enqueue(session=rows.session, payload=InvitationsFanOut(batch_id=batch.id))
    rows.session.commit()
    messages_api.hold_after = KILL_AFTER_CREATES
    queue = unique_queue()
    env = worker_env(
        messages_api,
        REDIS_URL,
        SMS_RATE_PER_SECOND="1000",
        SMS_CHUNK_SIZE=str(CHUNK),
        WHATSAPP_FROM=WHATSAPP_FROM,
    )

    with ExitStack() as running:
        running.enter_context(approved_invitation_templates(raw_engine))
        first = running.enter_context(worker(queue=queue, env=env, cwd=tmp_path, name="first"))
        first.wait_until_ready()
        relay = running.enter_context(OutboxRelay(raw_engine, broker_url=REDIS_URL, queue=queue))
        wait_for(
            lambda: messages_api.total_creates >= KILL_AFTER_CREATES,
            what="the first worker did not start sending",
            workers=[first],
            relay=relay,
        )
        first.kill()
        messages_api.release_held()
        created_at_kill = messages_api.total_creates
        dead_unacked = broker.hlen(UNACKED)
        at_kill = statuses(raw_engine, event)
        assert CHUNK < created_at_kill < 2 * CHUNK, "the kill did not land in the second chunk"

        second = running.enter_context(worker(queue=queue, env=env, cwd=tmp_path, name="second"))
        wait_until_settled(broker, queue, [first, second], dead_unacked=dead_unacked)
        left = statuses(raw_engine, event)
        later = utcnow() + timedelta(minutes=15)
        whatsapp = WhatsAppChannel(
            TwilioWhatsApp(
                TwilioMessages(
                    account_sid=messages_api.account_sid,
                    auth_token=messages_api.auth_token,
                    api_base=messages_api.base_url,
                ),
                sender=WHATSAPP_FROM,
            ),
            templates={},
        )
        swept = sweep_in_flight(
            transaction=session_scope, channels=[whatsapp], settings=get_settings(), now=later
        )
        with session_scope() as session:
            released = release_due(session=session, now=later, chunk_size=CHUNK)
        wait_for(
            lambda: statuses(raw_engine, event) == {MessageStatus.QUEUED: INVITATIONS},
            what="not every WhatsApp invitation was sent",
            workers=[first, second],
            relay=relay,
        )

    assert messages_api.total_creates == INVITATIONS
    assert len(messages_api.creates_by_to) == INVITATIONS
    assert set(messages_api.creates_by_to.values()) == {1}
    assert all(to.startswith("whatsapp:+996") for to in messages_api.creates_by_to)
    with Session(raw_engine) as session:
        sent = session.execute(
            select(Message.channel, Message.provider_sid)
            .join(Invitation, Message.invitation_id == Invitation.id)
            .where(Invitation.event_id == event.id)
        ).all()
        answered = session.scalars(
            select(Invitation.status).where(Invitation.id.in_([i.id for i in invitations]))
        ).all()
    assert {channel for channel, _ in sent} == {MessageChannel.WHATSAPP}
    assert len({sid for _, sid in sent}) == INVITATIONS
    assert set(answered) == {InvitationStatus.SENT}
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\nkill after {created_at_kill} creates; at the kill {named(at_kill)}; "
        f"after the second worker {named(left)}; sweep {named(swept or Counter())}; "
        f"released {released}"
    )
