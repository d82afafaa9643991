"""SMS whose text a coordinator wrote: a message to an event's confirmed people, or an answer
to one person who wrote to Birge (from the inbox).

Every other SMS is rendered from a template when it is sent. A coordinator's own words have no
template, so the text is stored encrypted when the message is planned and the sender sends it
as it stands. It goes through the outbox and the sender like every SMS: quiet hours, opt-outs,
the event having started or been cancelled all still stop it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import MessagePurpose
from birge_shared.outbound.dedupe import KeySubject
from birge_shared.outbound.plan import plan_one
from birge_shared.sms.segments import count_segments

#: The purpose of a coordinator's message to the people confirmed for an event.
EVENT_MESSAGE = MessagePurpose.EVENT_MESSAGE
#: A coordinator's answer to one person who wrote to Birge (from the inbox).
COORDINATOR_REPLY = MessagePurpose.COORDINATOR_REPLY
#: Purposes whose text is the stored body, not a template.
FREE_TEXT_PURPOSES = frozenset({EVENT_MESSAGE, COORDINATOR_REPLY})


def plan_free_text_sms(
    *,
    session: Session,
    purpose: MessagePurpose,
    participant_id: uuid.UUID,
    invitation_id: uuid.UUID | None,
    text: str,
    version: str,
    subject: KeySubject = KeySubject.INVITATION,
    subject_id: str | None = None,
) -> uuid.UUID | None:
    """Plan one SMS with this text; None when one with this key exists already.

    The one way a coordinator's words become a message: to the confirmed people of an event
    (`invitation_id` given, keyed by the invitation) and as an answer from the inbox alike
    (keyed by `subject` and `subject_id`, the coordinator). The segments are counted now, so
    the city's budget counts the message before it is sent.
    """
    if purpose not in FREE_TEXT_PURPOSES:
        raise ValueError(f"{purpose!r} is rendered from a template, not free text")
    # Only these purposes are sent as stored; a template's text is rendered when it is sent.
    return plan_one(
        session=session,
        purpose=purpose,
        participant_id=participant_id,
        invitation_id=invitation_id,
        subject=subject,
        subject_id=subject_id,
        version=version,
        body_encrypted=get_cipher().encrypt(text),
        segments=count_segments(text).segments,
    )
