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
from birge_shared.invitations import plan_sms
from birge_shared.sms.segments import count_segments

#: The purpose of a coordinator's message to the people confirmed for an event.
EVENT_MESSAGE = "event_message"
#: A coordinator's answer to one person who wrote to Birge (from the inbox).
COORDINATOR_REPLY = "coordinator_reply"
#: Purposes whose text is the stored body, not a template.
FREE_TEXT_PURPOSES = frozenset({EVENT_MESSAGE, COORDINATOR_REPLY})


def plan_free_text_sms(
    *,
    session: Session,
    purpose: str,
    participant_id: uuid.UUID,
    invitation_id: uuid.UUID | None,
    text: str,
    dedupe_key: str,
) -> uuid.UUID | None:
    """Plan one SMS with this text; None when one with this dedupe key exists already.

    The one way a coordinator's words become a message: to the confirmed people of an event
    (`invitation_id` given) and as an answer from the inbox alike.
    """
    if purpose not in FREE_TEXT_PURPOSES:
        raise ValueError(f"{purpose!r} is rendered from a template, not free text")
    # Only these purposes are sent as stored; a template's text is rendered when it is sent.
    return plan_sms(
        session=session,
        purpose=purpose,
        participant_id=participant_id,
        invitation_id=invitation_id,
        dedupe_key=dedupe_key,
        body_encrypted=get_cipher().encrypt(text),
        segments=count_segments(text).segments,
    )
