"""The notice part of `events.cancelled`: a calendar cancellation e-mail and an SMS.

It runs while the invitations are withdrawn, in the same transaction and just before: whoever
held a sent or accepted invitation is told, with METHOD:CANCEL, the same UID and the SEQUENCE
the events service raised on cancelling, so their calendar drops the entry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from birge_shared.models import Event, Invitation, MessageChannel, MessagePurpose
from birge_shared.outbound.plan import Planned
from birge_workers.notifications.notices import NOTIFIED, plan_notices

log = logging.getLogger(__name__)

PURPOSE = MessagePurpose.EVENT_CANCELLED


def plan_cancellation_notices(
    *, session: Session, event: Event, invitations: Sequence[Invitation]
) -> Planned:
    """Plan the notices for the invitations about to be withdrawn (the caller holds the locks)."""
    told = [invitation for invitation in invitations if invitation.status in NOTIFIED]
    planned = plan_notices(session=session, event=event, invitations=told, purpose=PURPOSE)
    log.info(
        "cancellation notices planned",
        extra={
            "event_id": str(event.id),
            "sms": len(planned.of(MessageChannel.SMS)),
            "emails": len(planned.of(MessageChannel.EMAIL)),
        },
    )
    return planned
