"""The embedded set-up (SQLite, several worker processes of `birge dev`) sends each message once
too, although SQLite has no row locks."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from birge_shared.models import InvitationStatus, MessageStatus, utcnow
from birge_workers.outbound.lifecycle import send_chunk
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import sweep_in_flight
from birge_workers.sending.fanout import fan_out
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel
from tests.embedded_sqlite import embedded_sqlite
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import Rows, any_hour_settings, twilio_for


def test_three_senders_on_sqlite_send_each_message_once(
    tmp_path: Path, messages_api: FakeMessagesApi
) -> None:
    with embedded_sqlite(tmp_path) as database:
        transaction = database.transaction
        rows = Rows(database.engine)
        event = rows.event()
        batch, invitations = rows.batch(event, planned=12)
        assert fan_out(batch_id=batch.id, chunk_size=50, transaction=transaction) == 12
        (message_ids,) = rows.queued_sends()
        messages_api.delay = 0.01
        provider = twilio_for(messages_api)

        def work() -> None:
            send_chunk(
                message_ids=message_ids,
                transaction=transaction,
                channel=SmsChannel(provider),
                pacer=LocalTokenBucket(1000, capacity=1000),
                settings=any_hour_settings(),
            )

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert messages_api.total_creates == 12
        assert set(messages_api.creates_by_to.values()) == {1}
        assert {m.status for m in rows.messages_of(event)} == {MessageStatus.QUEUED}
        assert {rows.invitation(i.id).status for i in invitations} == {InvitationStatus.SENT}
        # The periodic work runs on SQLite as well, and finds nothing left to do.
        later = utcnow() + timedelta(minutes=15)
        with transaction() as session:
            assert release_due(session=session, now=later, chunk_size=50) == 0
        assert (
            sweep_in_flight(
                transaction=transaction,
                channels=[SmsChannel(provider)],
                settings=any_hour_settings(),
                now=later,
            )
            == {}
        )
        rows.session.close()
