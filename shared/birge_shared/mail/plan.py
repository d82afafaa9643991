"""Planning outbound e-mails: one `message` row per invitation, purpose and event version.

The row is the outbox of the e-mail: `email.send` renders it when its turn comes, with the
event and the invitation's answer as they are then, and sends it at most once.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from birge_shared.mail.texts import PURPOSES
from birge_shared.models import Message, MessageChannel, MessageDirection, MessageStatus, utcnow
from birge_shared.upsert import insert_ignoring_conflict


def email_dedupe_key(invitation_id: uuid.UUID, purpose: str, sequence: int) -> str:
    """One e-mail per invitation, purpose and calendar SEQUENCE: a rerun plans nothing new."""
    return f"invitation:{invitation_id}:email:{purpose}:{sequence}"


def plan_email(
    *,
    session: Session,
    purpose: str,
    invitation_id: uuid.UUID,
    participant_id: uuid.UUID,
    dedupe_key: str,
) -> uuid.UUID | None:
    """Plan one outbound e-mail; None when a message with this dedupe key already exists.

    Nothing personal is stored: the address is read from the participant when it is sent.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"no e-mail for purpose {purpose!r}")
    message_id = uuid.uuid4()
    now = utcnow()
    inserted = insert_ignoring_conflict(
        session,
        Message,
        {
            "id": message_id,
            "direction": MessageDirection.OUTBOUND,
            "channel": MessageChannel.EMAIL,
            "purpose": purpose,
            "dedupe_key": dedupe_key,
            "invitation_id": invitation_id,
            "participant_id": participant_id,
            "status": MessageStatus.PLANNED,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    return message_id if inserted is not None else None
