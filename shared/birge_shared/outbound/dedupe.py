"""The one format of `message.dedupe_key`, and its parser.

`<subject>:<subject id>:<channel>:<purpose>:<version>`, for example
`invitation:6f1c…:sms:invitation:0` or `invitation:6f1c…:email:event_changed:3`.

The unique key makes "one message per subject, channel, purpose and version" a database
guarantee: a task that runs twice, or two runs at once, plan nothing twice. The version tells
apart messages that may rightly repeat: an event's calendar SEQUENCE for notices, a reminder's
offset and start time, a survey step. It is the rest of the key and may itself hold colons.

A message planned on the person's next channel because its first one refused it for good
(`birge_shared.outbound.fallback`) carries the version `fallback`, or `fallback:<version>`
when the message it replaces had a version of its own (a reminder's offset and start, a
notice's SEQUENCE): one fallback per message, and a fallback is known as one by its key alone,
so it never falls back again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

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
#: The version (or its prefix) of a message planned on the next channel after a refusal.
FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class DedupeKey:
    subject: KeySubject
    subject_id: str
    channel: MessageChannel
    purpose: MessagePurpose
    version: str = ONCE
    #: Planned on the next channel after this subject's purpose was refused on another one;
    #: `version` stays the replaced message's own.
    fallback: bool = False

    def __str__(self) -> str:
        return f"{self.prefix}:{self.written_version}"

    @property
    def prefix(self) -> str:
        """The key without its version: every version of this purpose on this channel."""
        return f"{self.subject.value}:{self.subject_id}:{self.channel.value}:{self.purpose.value}"

    @property
    def written_version(self) -> str:
        if not self.fallback:
            return self.version
        return FALLBACK if self.version == ONCE else f"{FALLBACK}:{self.version}"

    def falling_back_to(self, channel: MessageChannel) -> DedupeKey:
        """The key of this message's one fallback on `channel`."""
        return replace(self, channel=channel, fallback=True)


def parse_dedupe_key(key: str | None) -> DedupeKey | None:
    """The parts of a key written by `DedupeKey`, or None for anything else (or no key)."""
    if not key:
        return None
    parts = key.split(":", 4)
    if len(parts) != 5:
        return None
    subject, subject_id, channel, purpose, version = parts
    fallback = version == FALLBACK or version.startswith(f"{FALLBACK}:")
    if fallback:
        version = version.removeprefix(FALLBACK).removeprefix(":") or ONCE
    try:
        return DedupeKey(
            subject=KeySubject(subject),
            subject_id=subject_id,
            channel=MessageChannel(channel),
            purpose=MessagePurpose(purpose),
            version=version,
            fallback=fallback,
        )
    except ValueError:
        return None
