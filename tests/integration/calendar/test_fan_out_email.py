"""The fan-out queues a calendar invitation e-mail beside the SMS for people with an address."""

from __future__ import annotations

import uuid

from birge_shared.db import session_scope
from birge_shared.models import Invitation, InvitationBatch, InvitationStatus, MessageChannel
from birge_workers.outbound.tasks import email_send
from birge_workers.sending.fanout import fan_out
from tests.integration.calendar.conftest import CalendarRows, Mailbox, calendar_of


def test_fan_out_plans_an_email_for_each_invitation_with_an_address(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event()
    with_address = rows.invited(event, 3, status=InvitationStatus.PLANNED)
    without = rows.participant(email=None)
    with rows.fresh() as session:
        batch = InvitationBatch(event_id=event.id, request_fingerprint=uuid.uuid4().hex, invited=4)
        session.add(batch)
        session.flush()
        for invitation in with_address:
            row = session.get(Invitation, invitation.id)
            assert row is not None
            row.batch_id = batch.id
        session.add(
            Invitation(
                event_id=event.id,
                participant_id=without.id,
                status=InvitationStatus.PLANNED,
                batch_id=batch.id,
            )
        )
        session.commit()
        batch_id = batch.id

    assert fan_out(batch_id=batch_id, chunk_size=2, transaction=session_scope) == 4
    # A second run plans nothing: neither SMS nor e-mail.
    assert fan_out(batch_id=batch_id, chunk_size=2, transaction=session_scope) == 0

    assert len(rows.messages(event, channel=MessageChannel.SMS)) == 4
    emails = rows.messages(event, channel=MessageChannel.EMAIL)
    assert sorted(m.invitation_id for m in emails if m.invitation_id) == sorted(
        i.id for i in with_address
    )
    for chunk in rows.email_sends():
        email_send(chunk)
    assert len(smtp.received) == 3
    for message in smtp.received:
        method, read = calendar_of(message)
        assert method == read.method == "REQUEST"
        assert read.calendar.vevent.attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
