"""WhatsApp invitations of a fan-out sent through the real SDK to Prism, which checks every
create (the `whatsapp:` addresses, `ContentSid`, `ContentVariables`, `StatusCallback`) against
Twilio's published Messages contract."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from birge_shared.db import session_scope
from birge_shared.models import InvitationStatus, MessageChannel, MessageStatus
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.sending.fanout import fan_out
from tests.integration.sending.conftest import Rows
from tests.integration.sending.whatsapp import (
    approved_invitation_templates,
    drain_whatsapp,
    opt_in,
    whatsapp_channel,
    whatsapp_switched_on,
)

pytestmark = pytest.mark.slow

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
INVITATIONS = 12


def test_every_whatsapp_invitation_of_a_fan_out_is_one_accepted_create(
    rows: Rows, raw_engine: Engine, dynamic_prism_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = rows.event()
    batch, invitations = rows.batch(event, planned=INVITATIONS)
    for invitation in invitations:
        opt_in(rows.session, invitation.participant_id)
    with (
        whatsapp_switched_on(
            monkeypatch,
            account_sid=ACCOUNT_SID,
            auth_token="contract-test-token",
            api_base=dynamic_prism_url,
        ),
        approved_invitation_templates(raw_engine),
    ):
        assert fan_out(batch_id=batch.id, chunk_size=5, transaction=session_scope) == INVITATIONS
        channel = whatsapp_channel(
            account_sid=ACCOUNT_SID, auth_token="contract-test-token", api_base=dynamic_prism_url
        )
        outcomes = drain_whatsapp(rows, channel)

    assert outcomes == {Outcome.SENT: INVITATIONS}
    messages = rows.messages_of(event)
    assert {m.channel for m in messages} == {MessageChannel.WHATSAPP}
    recorded = {m.provider_sid for m in messages if m.provider_sid is not None}
    assert len(recorded) == INVITATIONS
    assert {m.status for m in messages} <= {MessageStatus.QUEUED, MessageStatus.SENT}
    assert {m.attempts for m in messages} == {1}
    assert {rows.invitation(i.id).status for i in invitations} == {InvitationStatus.SENT}
