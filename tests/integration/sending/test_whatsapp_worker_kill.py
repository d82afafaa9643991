"""A worker killed with SIGKILL in the middle of a chunk of WhatsApp invitations: every number
still gets exactly one create.

The drill of `test_worker_kill` (`kill_drill`) on the WhatsApp channel: the people opted in to
WhatsApp and approved templates in the database, the workers with a WhatsApp sender, and the
sweeper settling templates by the number's messages since the attempt began (a template has
no text of ours to compare).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from birge_shared.models import Invitation, InvitationStatus, Message, MessageChannel
from birge_workers.sms.twilio_provider import TwilioMessages
from birge_workers.whatsapp.channel import WhatsAppChannel
from birge_workers.whatsapp.provider import TwilioWhatsApp
from tests.conftest import redis_database_url
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import Rows
from tests.integration.sending.kill_drill import kill_mid_chunk
from tests.integration.sending.whatsapp import (
    WHATSAPP_FROM,
    approved_invitation_templates,
    opt_in,
)
from tests.integration.sending.workers import redis_db, worker_env

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
    sweep = WhatsAppChannel(
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

    with approved_invitation_templates(raw_engine):
        drilled = kill_mid_chunk(
            rows=rows,
            engine=raw_engine,
            api=messages_api,
            broker=broker,
            broker_url=REDIS_URL,
            cwd=tmp_path,
            env=worker_env(
                messages_api,
                REDIS_URL,
                SMS_RATE_PER_SECOND="1000",
                SMS_CHUNK_SIZE=str(CHUNK),
                WHATSAPP_FROM=WHATSAPP_FROM,
            ),
            batch=batch,
            event=event,
            invitations=INVITATIONS,
            chunk=CHUNK,
            kill_after=KILL_AFTER_CREATES,
            sweep=sweep,
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
    print(f"\n{drilled.figures()}")  # noqa: T201 - the drill's figures, shown with -s
