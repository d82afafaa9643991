"""A coordinator's own words to the confirmed people go out as written, once."""

from __future__ import annotations

from birge_shared.crypto import get_cipher
from birge_shared.free_text import EVENT_MESSAGE, plan_free_text_sms
from birge_shared.models import InvitationStatus, MessageStatus
from birge_workers.outbound.lifecycle import Outcome
from tests.integration.sending.conftest import Rows, Sender


def test_a_free_text_message_is_sent_as_stored_and_once(rows: Rows, sender: Sender) -> None:
    _, (invitation,) = rows.batch(rows.event(), planned=1)
    invitation.status = InvitationStatus.ACCEPTED
    text = "Кабинет 204, не 105."
    message_id = plan_free_text_sms(
        session=rows.session,
        purpose=EVENT_MESSAGE,
        participant_id=invitation.participant_id,
        invitation_id=invitation.id,
        text=text,
        version="k",
    )
    rows.session.commit()
    assert message_id is not None

    assert sender.send([message_id]) == {Outcome.SENT: 1}
    assert sender.send([message_id]) == {Outcome.NOT_PLANNED: 1}

    assert sender.api.recent_forms[-1]["Body"] == text
    message = rows.message(message_id)
    assert message.status is MessageStatus.QUEUED
    assert message.body_encrypted is not None
    assert get_cipher().decrypt(message.body_encrypted) == text
    # An accepted invitation stays accepted: this is no invitation SMS.
    assert rows.invitation(invitation.id).status is InvitationStatus.ACCEPTED
