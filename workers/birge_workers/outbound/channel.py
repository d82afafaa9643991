"""What a channel brings to the one lifecycle: its address, its text, its provider call.

A channel module (SMS through Twilio, e-mail through SMTP; WhatsApp and Telegram next) holds
its provider's words and implements this Protocol. Everything else a message goes through —
claiming, pacing, recording, retrying, giving up, giving back, releasing, sweeping and the
still-wanted rules — is the lifecycle's, the same for every channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from birge_shared.models import (
    Channel as ChannelName,
)
from birge_shared.models import (
    Event,
    Invitation,
    Language,
    Message,
    MessageChannel,
    MessageStatus,
    Participant,
    ParticipantChannel,
)
from birge_shared.settings import Settings
from birge_workers.outbound.provider import PermanentProviderError, SentMessage

#: A person's channel rows by channel (a Telegram chat id is kept in its row).
ChannelRows = Mapping[ChannelName, ParticipantChannel]


@dataclass(frozen=True, slots=True)
class Facts:
    """What composing one message may use; loaded once per chunk, not once per message."""

    participant: Participant
    invitation: Invitation | None
    event: Event | None
    #: The administrators' edits of the texts, by purpose and language.
    overrides: Mapping[tuple[str, Language], str]
    #: What a change notice is about (`time`, `place`, `title`).
    changes: Sequence[str]
    #: The participant's city's time zone (the event's, where there is one).
    timezone: str
    #: The person's channel rows: their opt-ins and opt-outs, and the addresses that are
    #: not their phone or e-mail.
    rows: ChannelRows = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Composed:
    """A message ready for its provider call. Kept in memory only, never logged."""

    message_id: uuid.UUID
    #: What the provider call takes (an SMS's number and text, a built e-mail).
    content: object = field(repr=False)
    #: The text to store (encrypted) with the message, or None to store none.
    body: str | None = field(repr=False, default=None)
    segments: int | None = None


@dataclass(frozen=True, slots=True)
class InFlight:
    """A message left `sending` past its time, with what settling it needs."""

    message_id: uuid.UUID
    attempts: int
    started_at: datetime
    #: When the channel recorded handing it over (SMTP's DATA), or None.
    handed_at: datetime | None
    address: str | None = field(repr=False)
    body: str | None = field(repr=False)


class LookupUnavailableError(Exception):
    """The provider could not be asked now: the message stays in flight for the next sweep."""


#: What a sweep learned about one in-flight message: the provider's receipts that match it,
#: newest first (a short text sent twice matches both), or none when the provider does not
#: have it, so it was never sent and may be sent again.
Settlement = list[SentMessage]


def own_receipt(message_id: uuid.UUID) -> SentMessage:
    """The receipt of a channel whose provider gives no id a client can keep (SMTP, the Bot
    API): the message's own id, the same whether the send or the sweeper records it."""
    return SentMessage(sid=str(message_id), status="sent", segments=None)


def settle_by_hand_over(in_flight: InFlight) -> Settlement:
    """Settling for a provider that cannot be asked: the hand-over mark committed just before
    the point of no return decides. Without it nothing left and the message goes again; with
    it the provider may have it, and it counts as sent (lost, rather than sent twice, if the
    worker died between the mark and the provider taking it)."""
    if in_flight.handed_at is None:
        return []
    return [own_receipt(in_flight.message_id)]


class Channel(Protocol):
    @property
    def channel(self) -> MessageChannel: ...

    @property
    def quiet_hours(self) -> bool:
        """Does a message wait for the end of the night (it rings a phone on arrival)?"""
        ...

    @property
    def paced(self) -> bool:
        """Does each send take a token from the shared pacer (the provider's rate)?"""
        ...

    @property
    def concurrency(self) -> int:
        """How many provider calls of one chunk may run at once in this worker."""
        ...

    @property
    def keeps_calendar(self) -> bool:
        """Does the message carry a calendar entry (still useful after a yes)?"""
        ...

    def max_attempts(self, settings: Settings) -> int: ...

    def backoff(self) -> tuple[timedelta, timedelta]:
        """The first wait and the cap of this channel's retries."""
        ...

    def has_address(self, participant: Participant, rows: ChannelRows) -> bool:
        """Is an address on file for this channel? (Cheap: nothing is decrypted.)"""
        ...

    def address(self, participant: Participant, rows: ChannelRows) -> str | None:
        """The person's decrypted address on this channel, or None when there is none."""
        ...

    def compose(
        self, *, message: Message, facts: Facts, settings: Settings, now: datetime
    ) -> Composed:
        """Render the message; `PermanentProviderError` when it can never be built."""
        ...

    def send(
        self, composed: Composed, *, handing_over: Callable[[], None], now: datetime
    ) -> SentMessage:
        """Call the provider once. `handing_over` is called just before the point after which
        the provider may have the message; a channel without a record of its own at the
        provider calls it so the sweeper can tell. Raises the provider errors."""
        ...

    def receipt_status(self, receipt: SentMessage) -> MessageStatus: ...

    def settle(self, in_flight: InFlight) -> Settlement:
        """Ask the provider about an in-flight message.

        `LookupUnavailableError` when it cannot be asked now, `PermanentProviderError` when it
        never can be (the address was erased)."""
        ...

    def after_refusal(
        self,
        *,
        session: Session,
        message: Message,
        error: PermanentProviderError,
        now: datetime,
        settings: Settings,
    ) -> None:
        """What a refusal means beyond this message (a STOP at the carrier is an opt-out)."""
        ...

    def close(self) -> None: ...
