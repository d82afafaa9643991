"""What the inbox shows. The text is personal data: decrypted here, for coordinators and
administrators only (viewers cannot call the inbox at all)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from birge_shared.crypto import get_cipher
from birge_shared.models import Message, MessageChannel, Participant
from birge_shared.phones import mask


class InboxKind(enum.StrEnum):
    NOT_UNDERSTOOD = "not_understood"
    OPT_OUT = "opt_out"
    #: From a number that belongs to no participant: administrators only.
    UNMATCHED = "unmatched"


#: The kept inbound purposes the inbox lists (see `birge_workers.callbacks.replies`).
PURPOSE_KINDS: dict[str, InboxKind] = {
    "reply:unknown": InboxKind.NOT_UNDERSTOOD,
    "reply:stop": InboxKind.OPT_OUT,
    "reply:unmatched": InboxKind.UNMATCHED,
}


class InboxItem(BaseModel):
    id: uuid.UUID
    kind: InboxKind
    received_at: datetime
    participant_id: uuid.UUID | None = Field(description="Null for an unknown number.")
    channel: MessageChannel = Field(
        default=MessageChannel.SMS, description="What it came on: `sms` or `whatsapp`"
    )
    city: str | None
    phone_masked: str | None
    text: str | None = Field(description="Null once retention or erasure purged it.")
    handled_at: datetime | None
    handled_by_id: uuid.UUID | None


def inbox_item(message: Message, participant: Participant | None) -> InboxItem:
    cipher = get_cipher()
    phone = (
        cipher.decrypt(participant.phone_encrypted)
        if participant is not None and participant.phone_encrypted
        else None
    )
    return InboxItem(
        id=message.id,
        kind=PURPOSE_KINDS[message.purpose],
        received_at=message.created_at,
        participant_id=participant.id if participant is not None else None,
        channel=message.channel,
        city=participant.city_code if participant is not None else None,
        phone_masked=mask(phone) if phone is not None else None,
        text=cipher.decrypt(message.body_encrypted) if message.body_encrypted else None,
        handled_at=message.handled_at,
        handled_by_id=message.handled_by_id,
    )
