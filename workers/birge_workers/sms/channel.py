"""SMS as a channel of the one lifecycle: Twilio's Messages API behind `SmsProvider`.

What is SMS's own: a number to send to, the text rendered from its template (or a
coordinator's stored words), the segments it costs, a validity period that drops an
invitation rather than deliver it after the event began, the shared pacer (Twilio's rate is
per account), quiet hours (a text rings a phone), and a STOP at the carrier (21610) being an
opt-out. Twilio's words come from `birge_shared.providers.twilio`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.departure import opt_out_participant
from birge_shared.free_text import FREE_TEXT_PURPOSES
from birge_shared.models import Message, MessageChannel, MessageStatus, Participant
from birge_shared.providers.twilio import (
    MAX_VALIDITY_PERIOD,
    STATUS_PATH,
    UNSUBSCRIBED,
    receipt_status,
)
from birge_shared.settings import Settings
from birge_shared.sms.render import (
    OneSegmentError,
    SmsRoute,
    free_text_for,
    personal_link,
    render_event_text,
    render_plain_sms,
    route_for,
)
from birge_shared.sms.segments import count_segments
from birge_shared.surveys import SURVEY_PURPOSES
from birge_workers.outbound.backoff import RETRY_FIRST, RETRY_MAX
from birge_workers.outbound.channel import (
    ChannelRows,
    Composed,
    Facts,
    InFlight,
    LookupUnavailableError,
    Settlement,
)
from birge_workers.outbound.provider import PermanentProviderError, ProviderError, SentMessage
from birge_workers.sms.provider import SmsProvider

#: Provider calls of one chunk at once in a worker: enough to hide the network's latency
#: behind one another, few enough that the pacer, not the threads, sets the rate.
CONCURRENCY = 8
#: The provider's clock and ours may differ, and its creation times have whole seconds.
CLOCK_MARGIN = timedelta(minutes=2)
#: The refusal of a coordinator's words too long for an operator that does not join parts.
TOO_LONG_FOR_OPERATOR = "no-one-segment"


@dataclass(frozen=True, slots=True)
class Sms:
    to: str = field(repr=False)
    body: str = field(repr=False)
    #: The event's start: the provider must not deliver an invitation after it.
    deadline: datetime | None
    status_callback: str


def status_callback_url(settings: Settings) -> str:
    return settings.public_base_url + STATUS_PATH


def settle_at_twilio(
    in_flight: InFlight, find_sent: Callable[[str, datetime], list[SentMessage]]
) -> Settlement:
    """Settle an in-flight message by Twilio's own record of what it sent (SMS, WhatsApp):
    `find_sent(address, created_after)` lists the matching messages."""
    if in_flight.address is None:
        raise PermanentProviderError(
            "erased", "whether it was sent is unknown, and the number was erased"
        )
    try:
        return find_sent(in_flight.address, in_flight.started_at - CLOCK_MARGIN)
    except ProviderError as error:
        raise LookupUnavailableError(error.reason) from None


def validity_period(starts_at: datetime | None, now: datetime) -> int | None:
    """How long the provider may hold the message: until the event starts, or its default.

    An invitation that arrives after the event began is worse than none.
    """
    if starts_at is None:
        return None
    seconds = int((starts_at - now).total_seconds())
    if seconds >= MAX_VALIDITY_PERIOD:
        return None  # the provider's default is its maximum
    return max(seconds, 1)


class PhoneChannel:
    """What the channels sent through Twilio to the person's phone share (SMS, WhatsApp):
    it rings the phone (quiet hours), Twilio's rate is per account (paced), its attempts and
    backoff, and the registered number as the address."""

    quiet_hours = True
    paced = True
    keeps_calendar = False

    def max_attempts(self, settings: Settings) -> int:
        return settings.sms_max_attempts

    def backoff(self) -> tuple[timedelta, timedelta]:
        return RETRY_FIRST, RETRY_MAX

    def has_address(self, participant: Participant, rows: ChannelRows) -> bool:
        return participant.phone_encrypted is not None

    def phone(self, participant: Participant) -> str | None:
        if participant.phone_encrypted is None:
            return None
        return get_cipher().decrypt(participant.phone_encrypted)


class SmsChannel(PhoneChannel):
    channel = MessageChannel.SMS

    def __init__(self, provider: SmsProvider, *, concurrency: int = CONCURRENCY) -> None:
        self._provider = provider
        self.concurrency = concurrency

    def address(self, participant: Participant, rows: ChannelRows) -> str | None:
        return self.phone(participant)

    def compose(
        self, *, message: Message, facts: Facts, settings: Settings, now: datetime
    ) -> Composed:
        to = self.address(facts.participant, facts.rows)
        assert to is not None  # the still-wanted rules refuse a person without a number
        # Replies or not, and one segment for an operator that does not join parts.
        body = render_text(
            message=message, facts=facts, settings=settings, route=route_for(settings, to)
        )
        event = facts.event
        return Composed(
            message_id=message.id,
            content=Sms(
                to=to,
                body=body,
                # A survey after the event may be held by the provider as long as it likes.
                deadline=event.starts_at
                if event is not None and message.purpose not in SURVEY_PURPOSES
                else None,
                status_callback=status_callback_url(settings),
            ),
            # Stored, so the sweeper can find the message at the provider by its text.
            body=body,
            segments=count_segments(body).segments,
        )

    def send(
        self, composed: Composed, *, handing_over: Callable[[], None], now: datetime
    ) -> SentMessage:
        sms = composed.content
        assert isinstance(sms, Sms)
        # Twilio keeps its own record of every message, which the sweeper asks; no record of
        # the hand-over is needed here.
        return self._provider.send(
            to=sms.to,
            body=sms.body,
            status_callback=sms.status_callback,
            validity_period=validity_period(sms.deadline, now),
        )

    def receipt_status(self, receipt: SentMessage) -> MessageStatus:
        return receipt_status(receipt.status)

    def settle(self, in_flight: InFlight) -> Settlement:
        if in_flight.body is None:
            raise PermanentProviderError(
                "erased", "whether it was sent is unknown, and the text was purged"
            )
        body = in_flight.body
        return settle_at_twilio(
            in_flight,
            lambda to, after: self._provider.find_sent(to=to, body=body, sent_after=after),
        )

    def after_refusal(
        self,
        *,
        session: Session,
        message: Message,
        error: PermanentProviderError,
        now: datetime,
        settings: Settings,
    ) -> None:
        if error.code == UNSUBSCRIBED and message.participant_id is not None:
            # A STOP at the carrier is our opt-out too: the person's other invitations and
            # pending messages go with it.
            opt_out_participant(
                session=session,
                participant_id=message.participant_id,
                now=now,
                over_invite=settings.over_invite_factor,
            )

    def close(self) -> None:
        """The provider is the process's own and outlives the chunk."""


def render_text(*, message: Message, facts: Facts, settings: Settings, route: SmsRoute) -> str:
    """The message's text in the person's language for a route: its template (or the
    administrators' edit) filled with the event as it is now, or a coordinator's own words.

    The text every messenger sends (WhatsApp's free text too); a channel without replies
    (Telegram, whose buttons are the answer path) asks for a route without them.
    """
    if message.purpose in FREE_TEXT_PURPOSES:
        assert message.body_encrypted is not None  # the still-wanted rules skip a purged text
        words = get_cipher().decrypt(message.body_encrypted)
        try:
            # Planned for SMS, the words were fitted then; planned for a messenger that fell
            # back to SMS, they are fitted here, for an operator that does not join parts.
            return free_text_for(words, route).text
        except OneSegmentError:
            raise PermanentProviderError(
                TOO_LONG_FOR_OPERATOR,
                "the coordinator's text does not fit the one segment this operator takes",
            ) from None
    person, invitation, event = facts.participant, facts.invitation, facts.event
    if invitation is None or event is None:
        return render_plain_sms(
            purpose=message.purpose,
            language=person.language,
            route=route,
            overrides=facts.overrides,
        )
    return render_event_text(
        purpose=message.purpose,
        language=person.language,
        route=route,
        title=event.title,
        venue=event.venue_name,
        starts_at=event.starts_at,
        timezone=facts.timezone,
        link=personal_link(settings.public_base_url, invitation.token),
        overrides=facts.overrides,
        reason=event.cancel_reason,
        changes=facts.changes,
    ).text
