"""Fan-out: one message per planned invitation, queued in chunks, nothing twice."""

from __future__ import annotations

import threading

from birge_shared.db import session_scope
from birge_shared.models import InvitationStatus, MessageStatus
from birge_workers.sending.fanout import fan_out, plan_chunk
from tests.integration.sending.conftest import Rows, Sender


def test_each_planned_invitation_gets_one_message_in_chunks(rows: Rows) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=7, waitlisted=2)

    assert fan_out(batch_id=batch.id, chunk_size=3, transaction=session_scope) == 7

    messages = rows.messages_of(event)
    planned = [i.id for i in invitations if i.status is InvitationStatus.PLANNED]
    assert sorted(m.invitation_id for m in messages if m.invitation_id) == sorted(planned)
    assert {m.status for m in messages} == {MessageStatus.PLANNED}
    assert {m.purpose for m in messages} == {"invitation"}
    sends = rows.queued_sends()
    assert [len(chunk) for chunk in sends] == [3, 3, 1]
    assert sorted(id_ for chunk in sends for id_ in chunk) == sorted(m.id for m in messages)


def test_a_second_run_plans_and_queues_nothing(rows: Rows) -> None:
    event = rows.event()
    batch, _ = rows.batch(event, planned=4)
    assert fan_out(batch_id=batch.id, chunk_size=50, transaction=session_scope) == 4
    rows.queued_sends()

    assert fan_out(batch_id=batch.id, chunk_size=50, transaction=session_scope) == 0
    assert len(rows.messages_of(event)) == 4
    assert rows.queued_sends() == []


def test_two_runs_at_once_plan_each_invitation_once(rows: Rows) -> None:
    event = rows.event()
    batch, _ = rows.batch(event, planned=40)
    counts: list[int] = []

    def run() -> None:
        counts.append(fan_out(batch_id=batch.id, chunk_size=5, transaction=session_scope))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(counts) == 40
    messages = rows.messages_of(event)
    assert len(messages) == 40
    queued = [id_ for chunk in rows.queued_sends() for id_ in chunk]
    assert sorted(queued) == sorted(m.id for m in messages)


def test_an_unknown_batch_plans_nothing(rows: Rows) -> None:
    event = rows.event()
    rows.batch(event, planned=2)
    other, _ = rows.batch(rows.event(), planned=1)
    assert fan_out(batch_id=other.id, chunk_size=10, transaction=session_scope) == 1
    assert rows.messages_of(event) == []


def test_a_fanned_out_batch_is_sent(rows: Rows, sender: Sender) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=5)
    fan_out(batch_id=batch.id, chunk_size=2, transaction=session_scope)

    sender.drain(rows)

    assert sender.api.total_creates == 5
    assert set(sender.api.creates_by_to.values()) == {1}
    assert {rows.invitation(i.id).status for i in invitations} == {InvitationStatus.SENT}


def test_a_run_after_a_partial_one_plans_only_the_rest(rows: Rows) -> None:
    # A run that stopped after its first chunk (a worker lost mid-batch): the next run walks
    # the batch again, skips the invitations that have their message and plans the others.
    event = rows.event()
    batch, _ = rows.batch(event, planned=9)
    with session_scope() as session:
        taken, planned = plan_chunk(session=session, batch_id=batch.id, chunk_size=4)
    assert (taken, planned) == (4, 4)

    assert fan_out(batch_id=batch.id, chunk_size=2, transaction=session_scope) == 5
    messages = rows.messages_of(event)
    assert len(messages) == 9
    assert len({m.invitation_id for m in messages}) == 9
