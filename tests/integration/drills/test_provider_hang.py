"""The provider hangs on every send, well past the client's timeout, on each channel
(`channels.py`).

The send gives up after the provider client's timeout (the one workers use). A send that may
have reached the provider is left `sending`: sending again could deliver it twice, so later the
sweeper settles it — by asking Twilio, or, for SMTP, which keeps no record a client can ask
for, by the record of the hand-over made just before DATA. Of the two hung sends here, one
reached the provider (it is found and recorded, never sent again) and one was lost on the way
(it is planned again and sent once): Twilio tells the two apart when asked; an SMTP send stuck
before DATA is known not to have been handed over and is retried at once with the backoff.
Nothing is lost and nothing goes out twice. The Bot API keeps no record either, and Telegram's
mark is made before every request: both hung sends count as sent, and the lost one stays lost
(at most once), never sent twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest

from birge_shared.db import session_scope
from birge_shared.models import MessageStatus, utcnow
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.outbound.release import release_due
from birge_workers.outbound.sweeper import Settled, sweep_in_flight
from birge_workers.sending.pacing import LocalTokenBucket
from tests.integration.drills.channels import ChannelHarness, Delivery
from tests.integration.sending.conftest import Rows, any_hour_settings, drain

pytestmark = pytest.mark.slow

#: How much longer than the client's timeout the provider hangs: a client that did not give
#: up would take at least this much longer than the timeout, which the test tells apart.
HANG_PAST_TIMEOUT = 10.0
#: A send gives up within this of the client's timeout.
GIVE_UP_WITHIN = 5.0


def test_a_hanging_provider_times_out_and_the_sweeper_settles_without_a_second_send(
    rows: Rows, harness: ChannelHarness, delivery: Delivery
) -> None:
    person = harness.person(rows)
    landed, landed_id = rows.invite(channel=harness.channel, person=person)
    lost, lost_id = rows.invite(channel=harness.channel, person=person)
    landed_to = harness.address(rows, landed.participant_id)
    lost_to = harness.address(rows, lost.participant_id)
    hang_seconds = harness.send_timeout + HANG_PAST_TIMEOUT
    delivery.hang(hang_seconds, lose=lost_to)
    settings = any_hour_settings()
    pacer = LocalTokenBucket(1000, capacity=1000)

    def send(message_ids: list[uuid.UUID]) -> Counter[Outcome]:
        # A channel of its own per chunk, as each task builds one.
        return send_chunk(
            message_ids=message_ids,
            transaction=session_scope,
            channel=delivery.channel(),
            pacer=pacer,
            settings=settings,
        )

    outcomes: Counter[Outcome] = Counter()
    took: list[float] = []
    lock = threading.Lock()

    def send_one(message_id: uuid.UUID) -> None:
        started = time.monotonic()
        result = send([message_id])
        with lock:
            outcomes.update(result)
            took.append(time.monotonic() - started)

    hung_at = time.monotonic()
    threads = [threading.Thread(target=send_one, args=(m,)) for m in (landed_id, lost_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=hang_seconds)
    assert outcomes == harness.hang_send
    # Given up after the client's timeout, long before the provider answered.
    assert len(took) == 2
    assert max(took) < harness.send_timeout + GIVE_UP_WITHIN
    in_doubt = {MessageStatus.SENDING: outcomes[Outcome.IN_DOUBT]}
    retried = {MessageStatus.PLANNED: outcomes[Outcome.RETRY]}
    assert Counter(rows.message(m).status for m in (landed_id, lost_id)) == +Counter(
        {**in_doubt, **retried}
    )

    # The hung requests end at the provider: one delivered the message, one did not.
    deadline = hung_at + hang_seconds + 30
    while (delivery.total() < 1 or delivery.lost() < 1) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert (delivery.total(), delivery.lost()) == (1, 1)
    delivery.hang(0.0, lose="")

    # The sweep and the release, as beat runs them once the messages count as stuck and the
    # retry's wait is over.
    later = utcnow() + timedelta(minutes=15)
    swept = sweep_in_flight(
        transaction=session_scope,
        channels=delivery.sweep_channels(),
        settings=settings,
        now=later,
    )
    assert swept == harness.hang_sweep
    assert rows.message(landed_id).status is harness.delivered
    # Known not handed over (retried at once) or not found at the provider (planned again):
    # the lost one is sent again. Where only a hand-over mark can be asked (Telegram), it
    # counts as sent and is lost rather than sent twice.
    again = outcomes[Outcome.RETRY] + swept[Settled.RETRY]
    assert again <= 1
    lost_status = MessageStatus.PLANNED if again else harness.delivered
    assert rows.message(lost_id).status is lost_status
    with session_scope() as session:
        release_due(session=session, now=later)
    assert drain(rows, send, task=harness.send_task) == +Counter({Outcome.SENT: again})

    assert delivery.deliveries() == +Counter({landed_to: 1, lost_to: again})
    assert {rows.message(m).status for m in (landed_id, lost_id)} == {harness.delivered}
    assert rows.message(landed_id).provider_sid != rows.message(lost_id).provider_sid
