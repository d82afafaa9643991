from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from birge_shared.models import BatchKind, Community, InvitationStatus, Language, MessageChannel
from birge_shared.outbound.choice import ChannelChoiceInvalidError, checked_choice


class _Strict(BaseModel):
    # A misspelt field must not silently widen who gets invited.
    model_config = ConfigDict(extra="forbid")


class Criteria(_Strict):
    """Who to consider, always within the event's city."""

    languages: list[Language] | None = Field(
        default=None, min_length=1, description="Any of these languages; all when left out."
    )
    communities: list[Community | None] | None = Field(
        default=None,
        min_length=1,
        description="Any of these communities; `null` in the list means not declared.",
    )
    not_invited_within_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Leave out people invited to another event in the last N days.",
    )
    invited_within_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Only people invited to another event in the last N days.",
    )
    max: int | None = Field(
        default=None,
        ge=1,
        description="Consider at most this many people, those invited least first "
        "(at most the server's recipient limit, which is also the default).",
    )


class InvitationRequest(_Strict):
    """Either explicit participants or criteria, never both."""

    participant_ids: list[uuid.UUID] | None = Field(default=None, min_length=1)
    criteria: Criteria | None = None
    channels: list[MessageChannel] | None = Field(
        default=None,
        min_length=1,
        description="The channels this batch may use (`whatsapp`, `telegram`, `sms`, "
        "`email`), at least one of WhatsApp, Telegram or SMS: each person gets the first of "
        "their own channels among these (and e-mail beside it when chosen). All when left "
        "out. Refills of the event follow its latest batch's choice.",
    )

    @field_validator("channels")
    @classmethod
    def _one_messenger(cls, value: list[MessageChannel] | None) -> list[MessageChannel] | None:
        try:
            return checked_choice(value)
        except ChannelChoiceInvalidError as error:
            raise ValueError(str(error)) from None


class Excluded(BaseModel):
    """Selected people who cannot be invited, each counted once under the first reason."""

    opted_out: int
    no_consent: int = Field(description="No consent on record, or the person was erased.")
    already_invited: int = Field(description="Already has an invitation to this event.")


class Mix(BaseModel):
    """The communities of the people the proposal invites."""

    host: int
    migrant: int
    unspecified: int
    min_share: float


class Seats(BaseModel):
    limit: int = Field(description="Seats that may be held: capacity times the over-invite factor")
    held: int = Field(description="Seats held before this request")
    open: int


class Price(BaseModel):
    amount: Decimal
    currency: str


class CostText(BaseModel):
    """One invitation text as a group of people would get it (the link is a stand-in)."""

    language: Language
    people: int
    text: str
    encoding: Literal["GSM-7", "UCS-2"]
    segments_each: int
    price: Decimal
    one_segment: bool = Field(
        description="For operators that do not join SMS parts (SMS_SINGLE_SEGMENT_OPERATORS): "
        "the text is kept to one segment"
    )
    shortened: bool = Field(description="A shorter wording or a cut title keeps one segment")
    latin: bool = Field(description="Written in Latin letters to keep one segment")


class WhatsAppCost(BaseModel):
    """The invitations that go by WhatsApp, by the category of their approved template."""

    messages: int = 0
    utility: int = 0
    marketing: int = 0
    authentication: int = 0


class Cost(BaseModel):
    messages: int = Field(description="The invitations that go by SMS")
    segments: int
    estimated_price: Price
    one_segment_messages: int = Field(
        default=0, description="Messages to operators that do not join SMS parts"
    )
    one_segment_segments: int = Field(default=0, description="Their segments: one each")
    texts: list[CostText] = Field(
        default_factory=list,
        description="Each text by language and kind of operator, with the ones shortened",
    )
    whatsapp: WhatsAppCost = Field(
        default_factory=WhatsAppCost,
        description="People whose first usable messenger is WhatsApp and whose language has "
        "an approved template; the others are counted on their next channel",
    )
    telegram_messages: int = Field(default=0, description="Invitations that go by Telegram")


class WarningCode(enum.StrEnum):
    """Stable codes of what a coordinator should know before (or after) sending."""

    #: The proposal invites nobody now; the detail counts why.
    NOBODY = "nobody"
    #: The mix band keeps seats empty although eligible people wait.
    MIX_BAND = "mix_band"
    #: The event is near: people get only the minimum answer window, or less (until the start).
    SHORT_WINDOW = "short_window"


class InvitationWarning(BaseModel):
    code: WarningCode
    detail: str = Field(description="The reason, with counts; for people, not for parsing")


class InvitationPreview(BaseModel):
    invite: list[uuid.UUID]
    waitlist: list[uuid.UUID]
    excluded: Excluded
    mix: Mix
    seats: Seats
    cost: Cost
    warnings: list[InvitationWarning] = Field(
        default_factory=list, description="What to know before sending; empty when all is well"
    )


class BatchCounts(BaseModel):
    """Where the batch's invitations are now.

    Delivery of the invitation SMS: `planned` (not handed to the provider yet), `sent`
    (accepted by the provider), `delivered`, `failed` (failed or undelivered), `skipped` (no
    longer needed when its turn came). Answers: `accepted` (including people later marked as
    attended or absent), `declined`, `waitlisted`, `expired`, `withdrawn` (event cancelled).
    """

    planned: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    accepted: int = 0
    declined: int = 0
    waitlisted: int = 0
    expired: int = 0
    withdrawn: int = 0


class BatchState(enum.StrEnum):
    QUEUED = "queued"
    AWAITING_APPROVAL = "awaiting_approval"
    DONE = "done"


class BatchRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    kind: BatchKind = Field(
        description="`invitations`: a coordinator's request; `refill`: freed seats given to "
        "the waitlist; `change_notice`: the notice of an event change; `message`: a "
        "coordinator's own message to the confirmed people."
    )
    changes: list[str] | None = Field(
        description="What a change notice names (`time`, `place`, `title`); null otherwise."
    )
    created_at: datetime
    invited: int
    waitlisted: int
    status: BatchState = Field(
        description="`awaiting_approval`: over the city's daily SMS budget; nothing is sent "
        "until an administrator approves it. `queued`: its messages are going out. `done`: "
        "nothing of it is left to send."
    )
    estimated_segments: int
    channels: list[MessageChannel] | None = Field(
        default=None, description="The channels chosen for the batch; null is all"
    )
    counts: BatchCounts


class BatchCreated(BatchRead):
    """The answer to sending: the batch, and what to know about it."""

    warnings: list[InvitationWarning] = Field(
        default_factory=list,
        description="As in the preview, at the moment of sending; a replayed answer has none",
    )


DeliveryStatus = Literal[
    "planned", "queued", "sent", "delivered", "read", "undelivered", "failed", "skipped"
]


class Delivery(BaseModel):
    """Where the invitation SMS is: `planned` (not handed to the provider yet), `queued`
    (handed over, or queued by the provider), `sent`, `delivered`, `undelivered`, `failed`
    (with the reason), or `skipped` (no longer wanted when its turn came, with the reason)."""

    status: DeliveryStatus
    reason: str | None
    error_code: str | None = Field(description="The provider's error code, when it gave one")
    updated_at: datetime | None


class ChannelDelivery(BaseModel):
    """One message of the invitation on one channel, and where it is."""

    channel: MessageChannel
    status: DeliveryStatus
    reason: str | None = Field(description="Why it failed or was skipped")
    error_code: str | None = Field(description="The provider's error code, when it gave one")
    fallback_of: MessageChannel | None = Field(
        default=None,
        description="Planned on this channel because the invitation failed on that one "
        "(refused for good, or the channel was switched off)",
    )
    updated_at: datetime | None


#: The statuses a channel's messages are counted under in an event's delivery summary.
SummaryStatus = Literal["queued", "sent", "delivered", "read", "failed", "skipped"]


class ChannelSummary(BaseModel):
    """An event's messages on one channel, by where they are."""

    channel: MessageChannel
    queued: int = Field(default=0, description="Planned, being sent, or queued at the provider")
    sent: int = 0
    delivered: int = 0
    read: int = Field(default=0, description="Opened by the person (WhatsApp)")
    failed: int = Field(default=0, description="Failed or undelivered")
    skipped: int = Field(default=0, description="No longer wanted when its turn came")
    total: int = 0


class DeliverySummary(BaseModel):
    """Every message to the event's invitees, per channel and status."""

    channels: list[ChannelSummary] = Field(
        description="The channels with at least one message, in the order WhatsApp, "
        "Telegram, SMS, e-mail"
    )


class InvitationListItem(BaseModel):
    id: uuid.UUID
    participant_id: uuid.UUID
    name: str | None = Field(
        description="The person's name, for coordinators and admins; null once erased"
    )
    phone_masked: str | None = Field(
        description="The phone number masked, for coordinators and admins; null once erased"
    )
    status: InvitationStatus
    walk_in: bool = Field(description="Came without an invitation and was marked attended")
    community: Community | None
    language: Language
    batch_id: uuid.UUID | None
    delivery: Delivery | None = Field(
        description="The invitation's message on the channel that carries it now (after a "
        "fallback, the fallback's); null when none was planned (waitlisted, walk-in)"
    )
    messages: list[ChannelDelivery] = Field(
        default_factory=list,
        description="The invitation's messages, one per channel it was planned on, oldest "
        "first (a calendar e-mail beside the messenger, a fallback after a failure)",
    )
    sent_at: datetime | None
    expires_at: datetime | None
    responded_at: datetime | None
    closed_reason: str | None
    created_at: datetime


class WithdrawRequest(_Strict):
    """Why the coordinator withdraws the invitation, kept with it (one line)."""

    reason: str | None = Field(default=None, max_length=200)


class CommunityCounts(BaseModel):
    """One community's invitations to the event (`unspecified`: no community declared)."""

    community: Literal["host", "migrant", "unspecified"]
    awaiting: int = Field(description="Invited and not answered yet (planned or sent)")
    confirmed: int = Field(description="Accepted, including people checked in or marked absent")
    checked_in: int
    declined: int
    waitlisted: int


class EventCounts(BaseModel):
    """The live counts of an event, per community, against its mix band."""

    capacity: int
    min_share: float
    communities: list[CommunityCounts]
    confirmed: int
    host_share: float | None = Field(
        description="The hosts' share of confirmed people who declared a community; null if none"
    )
    in_band: bool = Field(description="Whether the confirmed people keep each community's share")


class MessageText(_Strict):
    """A coordinator's own SMS to the people confirmed for an event."""

    text: str = Field(min_length=1, max_length=480)


_CHANNELS = (
    "The recipients by the messenger their message goes on (`whatsapp`, `telegram`, `sms`): "
    "the first in each person's order that can carry a coordinator's words now, WhatsApp only "
    "within 24 hours of their last message there."
)


class MessageEstimate(BaseModel):
    recipients: int = Field(description="Confirmed people who can be written to")
    channels: dict[str, int] = Field(default_factory=dict, description=_CHANNELS)
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments_each: int
    segments: int = Field(description="SMS segments of the recipients written to by SMS")
    estimated_price: Price
    one_segment_recipients: int = Field(
        default=0,
        description="Of the recipients by SMS, those on operators that do not join parts",
    )
    one_segment_operators: str = Field(default="", description="Those operators' names")
    one_segment_text: str | None = Field(
        default=None, description="What they get instead (in Latin letters), when it differs"
    )
    one_segment_fits: bool = Field(
        default=True, description="False: too long for them even in Latin letters; refused"
    )
    reply_instruction: str | None = Field(
        default=None, description="Words asking for an SMS reply while replies are off; refused"
    )


class MessageSent(BaseModel):
    recipients: int
    planned: int = Field(description="New messages planned; 0 when this key was used already")
    channels: dict[str, int] = Field(
        default_factory=dict, description=_CHANNELS + " Empty when this key was used already."
    )
    segments: int = Field(description="SMS segments of the recipients written to by SMS")
    estimated_price: Price
    batch_id: uuid.UUID | None = Field(
        default=None,
        description="The batch the messages were released with; null when this key was used "
        "already.",
    )
    held: bool = Field(
        default=False,
        description="Past the city's daily SMS budget: the batch awaits an administrator's "
        "approval and nothing is sent until then.",
    )


class PersonSummary(BaseModel):
    """Who a proposal names, as a coordinator picks among them: no full phone number."""

    id: uuid.UUID
    name: str | None
    phone_masked: str | None
    community: Community | None
    language: Language


class HeldSeats(BaseModel):
    host: int
    migrant: int
    unspecified: int
    total: int


class SeatsRead(BaseModel):
    capacity: int
    limit: int = Field(description="Seats that may be held: capacity times the over-invite factor")
    held: HeldSeats = Field(description="Accepted invitations plus those awaiting an answer")
    accepted: int
    open: int
    waiting: int = Field(description="People on the waitlist who can still be invited")
    min_share: float
    in_band: bool = Field(description="Whether the held seats keep each community's share")
    open_reason: str | None = Field(
        description="Why seats stay open although people are waiting, or why nobody waits"
    )
