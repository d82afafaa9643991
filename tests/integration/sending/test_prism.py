"""A fan-out sent through the real Twilio provider to Prism, which checks every create against
Twilio's published contract (a `StatusCallback` that is not a URI, a bad `ValidityPeriod`, a
missing field or credentials would be refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from birge_shared.db import session_scope
from birge_shared.models import InvitationStatus, MessageStatus, utcnow
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.sending.fanout import fan_out
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.twilio_provider import TwilioProvider
from tests.integration.sending.conftest import FROM_NUMBER, Rows, any_hour_settings, drain

pytestmark = pytest.mark.slow

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
INVITATIONS = 30


def test_every_invitation_of_a_fan_out_is_one_accepted_create(
    rows: Rows, dynamic_prism_url: str
) -> None:
    # Five hours away, so every create also carries a ValidityPeriod for Prism to check.
    event = rows.event(starts_at=utcnow().replace(microsecond=0) + timedelta(hours=5))
    batch, invitations = rows.batch(event, planned=INVITATIONS)
    provider = TwilioProvider(
        account_sid=ACCOUNT_SID,
        auth_token="contract-test-token",
        api_base=dynamic_prism_url,
        from_number=FROM_NUMBER,
    )
    assert fan_out(batch_id=batch.id, chunk_size=8, transaction=session_scope) == INVITATIONS

    outcomes = drain(
        rows,
        lambda message_ids: send_chunk(
            message_ids=message_ids,
            transaction=session_scope,
            channel=SmsChannel(provider),
            pacer=LocalTokenBucket(1000),
            settings=any_hour_settings(),
        ),
    )

    assert outcomes == {Outcome.SENT: INVITATIONS}
    messages = rows.messages_of(event)
    # Prism counts nothing, so the rows do: one recorded create per invitation.
    recorded = [m for m in messages if m.provider_sid is not None]
    assert len(recorded) == INVITATIONS
    assert len({m.provider_sid for m in recorded}) == INVITATIONS
    assert {m.status for m in messages} <= {MessageStatus.QUEUED, MessageStatus.SENT}
    assert {m.attempts for m in messages} == {1}
    assert {rows.invitation(i.id).status for i in invitations} == {InvitationStatus.SENT}
