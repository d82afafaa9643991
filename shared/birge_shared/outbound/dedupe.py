"""The one format of `message.dedupe_key`, and its parser.

`<subject>:<subject id>:<channel>:<purpose>:<version>`, for example
`invitation:6f1c…:sms:invitation:0` or `invitation:6f1c…:email:event_changed:3`.

The unique key makes "one message per subject, channel, purpose and version" a database
guarantee: a task that runs twice, or two runs at once, plan nothing twice. The version tells
apart messages that may rightly repeat: an event's calendar SEQUENCE for notices, a reminder's
offset and start time, a survey step. It is the rest of the key and may itself hold colons.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from birge_shared.models.enums import MessageChannel, MessagePurpose


class KeySubject(enum.StrEnum):
    """What a message is about, for its key."""

    INVITATION = "invitation"
    #: An inbound text being answered: the subject id is the stored callback's id.
    REPLY = "reply"
    #: A step of an SMS survey conversation.
    CONVERSATION = "survey"
    #: A coordinator's answer from the inbox: the subject id is the coordinator's user id.
    INBOX_ANSWER = "coordinator_reply"


#: The version of a message that is sent once for its subject and purpose.
ONCE = "0"


@dataclass(frozen=True, slots=True)
class DedupeKey:
    subject: KeySubject
    subject_id: str
    channel: MessageChannel
    purpose: MessagePurpose
    version: str = ONCE

    def __str__(self) -> str:
        return (
            f"{self.subject.value}:{self.subject_id}:{self.channel.value}:"
            f"{self.purpose.value}:{self.version}"
        )


def parse_dedupe_key(key: str | None) -> DedupeKey | None:
    """The parts of a key written by `DedupeKey`, or None for anything else (or no key)."""
    if not key:
        return None
    parts = key.split(":", 4)
    if len(parts) != 5:
        return None
    subject, subject_id, channel, purpose, version = parts
    try:
        return DedupeKey(
            subject=KeySubject(subject),
            subject_id=subject_id,
            channel=MessageChannel(channel),
            purpose=MessagePurpose(purpose),
            version=version,
        )
    except ValueError:
        return None
