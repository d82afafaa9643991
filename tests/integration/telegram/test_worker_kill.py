"""A worker killed with SIGKILL in the middle of a Telegram chunk: no chat gets a message twice.

The same drill as SMS's (`tests/integration/sending/test_worker_kill.py`), on the bot: a batch
of 120 linked people fans out as `telegram.send` chunks of 40; the fake Bot API holds every
sendMessage past the 50th unanswered, so the kill lands inside the second chunk with sends in
flight. A second worker finishes the queue; the sweeper settles what was left `sending` by
Telegram's rule (the hand-over mark committed before each request) and the release queues
what the dead worker had taken from the broker but not sent.

The Bot API cannot be asked what it has, so the rule chooses "at most once": a message whose
mark was committed counts as sent. The doubt case is the one the drill provokes: the requests
held at the kill were marked but never delivered, so those people got nothing — at most one
per sending thread. Every other person got their invitation exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.db import session_scope
from birge_shared.models import Invitation, InvitationStatus, MessageChannel, MessageStatus, utcnow
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.tasks import InvitationsFanOut
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import Settled, sweep_in_flight
from birge_workers.telegram.channel import CONCURRENCY, TelegramChannel
from birge_workers.telegram.provider import TelegramProvider
from tests.conftest import redis_database_url
from tests.fakes.fake_bot_api import BOT_USERNAME, FakeBotApi
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.drills.channels import statuses
from tests.integration.sending.conftest import Rows
from tests.integration.sending.test_worker_kill import UNACKED, named, wait_until_settled
from tests.integration.sending.workers import (
    OutboxRelay,
    redis_db,
    unique_queue,
    wait_for,
    worker,
    worker_env,
)
from tests.integration.telegram.conftest import SECRET, TOKEN, new_chat_id
from tests.pii_scan import mentions

pytestmark = pytest.mark.slow

REDIS_URL = redis_database_url(13)
INVITATIONS = 120
CHUNK = 40
KILL_AFTER_SENDS = 50  # inside the second chunk


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    yield from redis_db(REDIS_URL)


@pytest.fixture
def messages_api() -> Iterator[FakeMessagesApi]:
    # The workers' settings need an SMS provider; nobody here is written to by SMS.
    with FakeMessagesApi() as api:
        yield api


@pytest.mark.usefixtures("telegram_settings")
def test_a_worker_killed_mid_chunk_sends_no_chat_a_message_twice(
    *,
    rows: Rows,
    raw_engine: Engine,
    fake_bot: FakeBotApi,
    messages_api: FakeMessagesApi,
    broker: redis.Redis,
    tmp_path: Path,
) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=INVITATIONS)
    chat_ids = []
    for invitation in invitations:
        chat_id = str(new_chat_id())
        channels.link_telegram(
            session=rows.session, participant=invitation.participant, chat_id=chat_id
        )
        chat_ids.append(chat_id)
    enqueue(session=rows.session, payload=InvitationsFanOut(batch_id=batch.id))
    rows.session.commit()
    fake_bot.hold_after = KILL_AFTER_SENDS
    queue = unique_queue()
    env = worker_env(
        messages_api,
        REDIS_URL,
        SMS_CHUNK_SIZE=str(CHUNK),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BOT_USERNAME=BOT_USERNAME,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE=fake_bot.base_url,
    )

    with ExitStack() as running:
        first = running.enter_context(worker(queue=queue, env=env, cwd=tmp_path, name="first"))
        first.wait_until_ready()
        relay = running.enter_context(OutboxRelay(raw_engine, broker_url=REDIS_URL, queue=queue))
        wait_for(
            lambda: fake_bot.total_sent >= KILL_AFTER_SENDS,
            what="the first worker did not start sending",
            workers=[first],
            relay=relay,
        )
        first.kill()
        fake_bot.release_held()
        sent_at_kill = fake_bot.total_sent
        dead_unacked = broker.hlen(UNACKED)
        at_kill = statuses(raw_engine, event, MessageChannel.TELEGRAM)
        assert CHUNK < sent_at_kill < 2 * CHUNK, "the kill did not land in the second chunk"

        second = running.enter_context(worker(queue=queue, env=env, cwd=tmp_path, name="second"))
        wait_until_settled(broker, queue, [first, second], dead_unacked=dead_unacked)
        left = statuses(raw_engine, event, MessageChannel.TELEGRAM)
        later = utcnow() + timedelta(minutes=15)
        swept = sweep_in_flight(
            transaction=session_scope,
            channels=[TelegramChannel(lambda: TelegramProvider.from_settings(get_settings()))],
            settings=get_settings(),
            now=later,
        )
        with session_scope() as session:
            released = release_due(session=session, now=later, chunk_size=CHUNK)
        wait_for(
            lambda: (
                statuses(raw_engine, event, MessageChannel.TELEGRAM)
                == {MessageStatus.SENT: INVITATIONS}
            ),
            what="not every invitation was settled as sent",
            workers=[first, second],
            relay=relay,
        )
        logs = [first.log.read_text(errors="replace"), second.log.read_text(errors="replace")]

    assert swept is not None
    # No chat got a message twice, and only the doubt case got none.
    assert max(fake_bot.sent_by_chat.values()) == 1
    assert set(fake_bot.sent_by_chat) <= set(chat_ids)
    lost = INVITATIONS - fake_bot.total_sent
    assert lost <= swept[Settled.FOUND]
    assert lost <= CONCURRENCY
    with Session(raw_engine) as session:
        sent = session.scalars(
            select(Invitation.status).where(Invitation.id.in_([i.id for i in invitations]))
        ).all()
    assert set(sent) == {InvitationStatus.SENT}
    assert not mentions(logs, chat_ids)
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\nkill after {sent_at_kill} sends; at the kill {named(at_kill)}; "
        f"after the second worker {named(left)}; sweep {named(swept)}; released {released}; "
        f"marked but never delivered (the doubt case) {lost}"
    )
