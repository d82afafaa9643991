"""Two worker processes share one send rate: 5 a second between them, never 5 each."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from birge_shared.outbox import enqueue
from birge_shared.tasks import InvitationsFanOut
from tests.conftest import redis_database_url
from tests.fakes.fake_messages_api import FakeMessagesApi
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

pytestmark = pytest.mark.slow

REDIS_URL = redis_database_url(11)
RATE = 5
INVITATIONS = 40


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    yield from redis_db(REDIS_URL)


def handed(worker: Worker) -> int:
    return sum(
        int(line.get("count", 0))
        for line in worker.lines()
        if line.get("msg") == "handed to the provider" and line.get("channel") == "sms"
    )


def most_in_one_second(times: list[float]) -> int:
    """The largest number of creates in any window [t, t + 1 s) starting at a create."""
    ordered = sorted(times)
    return max(
        sum(1 for other in ordered[index:] if other < start + 1.0)
        for index, start in enumerate(ordered)
    )


def test_two_workers_together_stay_under_the_rate(
    rows: Rows,
    raw_engine: Engine,
    messages_api: FakeMessagesApi,
    broker: redis.Redis,
    tmp_path: Path,
) -> None:
    event = rows.event()
    batch, _ = rows.batch(event, planned=INVITATIONS)
    enqueue(session=rows.session, payload=InvitationsFanOut(batch_id=batch.id))
    rows.session.commit()
    queue = unique_queue()
    # Small chunks, so both workers get a share of the batch.
    env = worker_env(messages_api, REDIS_URL, SMS_RATE_PER_SECOND=str(RATE), SMS_CHUNK_SIZE="4")

    with (
        worker(queue=queue, env=env, cwd=tmp_path, name="one") as one,
        worker(queue=queue, env=env, cwd=tmp_path, name="two") as two,
    ):
        one.wait_until_ready()
        two.wait_until_ready()
        with OutboxRelay(raw_engine, broker_url=REDIS_URL, queue=queue) as relay:
            # Polling the fake's counter is cheap: reading the logs in a loop would compete
            # with the fake's threads for this process and delay the times it stamps.
            wait_for(
                lambda: messages_api.total_creates >= INVITATIONS,
                what="the batch was not sent",
                workers=[one, two],
                relay=relay,
            )
            wait_for(
                lambda: sum(handed(w) for w in (one, two)) >= INVITATIONS,
                what="the workers did not record every send",
                workers=[one, two],
                relay=relay,
            )

    times = list(messages_api.create_times)
    assert len(times) == INVITATIONS
    assert set(messages_api.creates_by_to.values()) == {1}
    # Both processes sent, so the limit held across processes, not just within one.
    sent_by = [handed(one), handed(two)]
    assert sum(sent_by) == INVITATIONS
    assert min(sent_by) > 0, sent_by
    ordered = sorted(times)
    closest = min(later - earlier for earlier, later in itertools.pairwise(ordered))
    peak = most_in_one_second(times)
    gaps = [round(later - earlier, 3) for earlier, later in itertools.pairwise(ordered)]
    # The fake stamps a create when its thread gets to it: on a busy machine one create taken
    # under a token at the end of one second can be stamped in the next. Two workers with a
    # rate each would show twice the rate.
    assert peak <= RATE + 1, gaps
    span = max(times) - min(times)
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\n{INVITATIONS} creates by two workers {sent_by} in {span:.2f} s "
        f"({(INVITATIONS - 1) / span:.2f}/s); closest two {closest * 1000:.0f} ms apart; "
        f"most in any second: {peak} (limit {RATE})"
    )
