"""The provider hangs for a minute on every create.

The send gives up after the Twilio client's read timeout (the one workers use) and leaves the
message `sending`: Twilio may have it, so sending again could deliver it twice. Later the
sweeper asks the provider. Of the two hung sends here, one reached the provider (it is found
and recorded, never sent again) and one was lost on the way (it is planned again and sent
once). Nothing is lost and nothing goes out twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import time as clock_time
from datetime import timedelta

import pytest

from birge_shared.db import session_scope
from birge_shared.models import MessageStatus, utcnow
from birge_shared.providers.twilio_http import DEFAULT_TIMEOUT
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.outbound.sweeper import Settled, sweep_in_flight
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.twilio_provider import TwilioProvider
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.sending.conftest import FROM_NUMBER, Rows, Sender, settings_with

pytestmark = pytest.mark.slow

HANG_SECONDS = 60.0
READ_TIMEOUT = DEFAULT_TIMEOUT[1]


class HangingMessagesApi(FakeMessagesApi):
    """The fake Messages API, where a create for a number in `lose` never reaches Twilio's
    records: after the hang it fails instead of creating the message."""

    def __init__(self) -> None:
        super().__init__()
        self.lose: set[str] = set()
        self.lost = 0

    def respond(
        self, path: str, authorization: str | None, form: dict[str, str]
    ) -> tuple[int, dict[str, object]]:
        to = form.get("To")
        if to in self.lose:
            self.lose.discard(to)
            self.lost += 1
            return 503, {"code": 20503, "message": "Service unavailable", "status": 503}
        return super().respond(path, authorization, form)


def test_a_hanging_provider_times_out_and_the_sweeper_settles_without_a_second_send(
    rows: Rows,
) -> None:
    landed, landed_id = rows.invite()
    lost, lost_id = rows.invite()
    landed_to = rows.phones[landed.participant_id]
    lost_to = rows.phones[lost.participant_id]
    with HangingMessagesApi() as api:
        api.lose.add(lost_to)
        api.delay = HANG_SECONDS
        # The provider as workers build it: the SDK with the default timeouts.
        provider = TwilioProvider(
            account_sid=api.account_sid,
            auth_token=api.auth_token,
            api_base=api.base_url,
            from_number=FROM_NUMBER,
        )
        sender = Sender(
            api=api,
            provider=provider,
            settings=settings_with(
                quiet_hours_start=clock_time(0, 0), quiet_hours_end=clock_time(0, 0)
            ),
        )
        outcomes: Counter[Outcome] = Counter()
        took: list[float] = []
        lock = threading.Lock()

        def send(message_id: uuid.UUID) -> None:
            started = time.monotonic()
            result = sender.send([message_id])
            with lock:
                outcomes.update(result)
                took.append(time.monotonic() - started)

        hung_at = time.monotonic()
        threads = [threading.Thread(target=send, args=(m,)) for m in (landed_id, lost_id)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=HANG_SECONDS)
        assert outcomes == {Outcome.IN_DOUBT: 2}
        # Given up after the read timeout, long before the provider answered.
        assert len(took) == 2
        assert max(took) < READ_TIMEOUT + 5
        assert {rows.message(m).status for m in (landed_id, lost_id)} == {MessageStatus.SENDING}

        # The hung requests end at the provider: one created the message, one did not.
        deadline = hung_at + HANG_SECONDS + 30
        while (api.total_creates < 1 or api.lost < 1) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (api.total_creates, api.lost) == (1, 1)
        api.delay = 0.0

        # The sweep, as beat runs it once the messages count as stuck.
        later = utcnow() + timedelta(minutes=15)
        swept = sweep_in_flight(
            transaction=session_scope,
            channels=[SmsChannel(provider)],
            settings=sender.settings,
            now=later,
        )
        assert swept == {Settled.FOUND: 1, Settled.RETRY: 1}
        assert rows.message(landed_id).status is MessageStatus.QUEUED
        assert rows.message(lost_id).status is MessageStatus.PLANNED
        assert sender.drain(rows) == {Outcome.SENT: 1}

    assert api.creates_by_to == {landed_to: 1, lost_to: 1}
    assert {rows.message(m).status for m in (landed_id, lost_id)} == {MessageStatus.QUEUED}
    assert rows.message(landed_id).provider_sid != rows.message(lost_id).provider_sid
