"""WhatsApp as a channel of the one lifecycle: Twilio Content templates, or free text inside
the person's 24-hour session window.

What is WhatsApp's own: the address `whatsapp:+996…` (the person's phone), and how a message
is composed. With an approved template for its purpose and the person's language it goes as
`ContentSid` with `ContentVariables`, filled from the template's value names (`title`,
`starts` in the city's time, `venue`, `link`, `reason`…). Without one, but within 24 hours of
the person's last message to us (`participant_channel.last_inbound_at`), it goes as the text
SMS would send, worded for a channel that can be answered. Otherwise WhatsApp cannot carry it
and the refusal says so (`falls_back`): the message goes on the person's next channel.
Pacing (one Twilio account), quiet hours (a message rings a phone), retries and the sweeper's
lookup are SMS's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.free_text import FREE_TEXT_PURPOSES
from birge_shared.models import Channel as ChannelName
from birge_shared.models import (
    ChannelOptOutMethod,
    Language,
    Message,
    MessageChannel,
    MessageStatus,
    Participant,
)
from birge_shared.providers.twilio import NOT_ON_WHATSAPP, receipt_status, whatsapp_address
from birge_shared.settings import Settings
from birge_shared.sms.render import SmsRoute, event_values, personal_link
from birge_shared.whatsapp_templates import ApprovedTemplate
from birge_shared.whatsapp_window import window_open
from birge_workers.outbound.channel import (
    ChannelRows,
    Composed,
    Facts,
    InFlight,
    Settlement,
)
from birge_workers.outbound.provider import PermanentProviderError, SentMessage
from birge_workers.sms.channel import (
    CONCURRENCY,
    PhoneChannel,
    render_text,
    settle_at_twilio,
    status_callback_url,
)
from birge_workers.whatsapp.provider import WhatsAppContent, WhatsAppProvider

#: Free text on WhatsApp can be answered, whatever SMS_TWO_WAY says of the SMS sender.
TWO_WAY = SmsRoute(two_way=True)
#: WhatsApp refuses a template value that is empty (a cancellation without a reason).
EMPTY_VALUE = "-"

Templates = Mapping[tuple[str, Language], ApprovedTemplate]


def note_refusal(*, session: Session, message: Message, code: str | None, now: datetime) -> None:
    """A WhatsApp refusal, at sending or in a later status, that concerns the person.

    "Not on WhatsApp" (63003) would refuse every later message too, each one a paid attempt
    and a delay before the fallback: the person's WhatsApp is switched off, so the next
    messages go straight to their next channel. A coordinator switches it on again once the
    person has joined WhatsApp.
    """
    if code == str(NOT_ON_WHATSAPP) and message.participant_id is not None:
        channels.opt_out(
            session=session,
            participant_id=message.participant_id,
            channel=ChannelName.WHATSAPP,
            method=ChannelOptOutMethod.NOT_ON_CHANNEL,
            now=now,
        )


def in_window(rows: ChannelRows, now: datetime) -> bool:
    """Has the person written to us on WhatsApp within the last 24 hours?"""
    row = rows.get(ChannelName.WHATSAPP)
    return row is not None and window_open(row.last_inbound_at, now)


def template_variables(template: ApprovedTemplate, values: Mapping[str, str]) -> str:
    """`ContentVariables`: JSON of `{"1": …, "2": …}`, from the template's value names.

    A name this message has no value for means the template does not fit it: a refusal that
    sends the message on the person's next channel rather than a half-filled template.
    """
    missing = [name for name in template.variables if name not in values]
    if missing:
        raise PermanentProviderError(
            "template-values",
            f"the WhatsApp template names values this message has none for: {', '.join(missing)}",
            falls_back=True,
        )
    filled = {
        str(index): values[name] or EMPTY_VALUE
        for index, name in enumerate(template.variables, start=1)
    }
    return json.dumps(filled, ensure_ascii=False)


def message_values(*, message: Message, facts: Facts, settings: Settings) -> dict[str, str]:
    """What a template of this message may name: the event's details and the personal link."""
    invitation, event = facts.invitation, facts.event
    if invitation is None or event is None:
        return {}
    return event_values(
        language=facts.participant.language,
        title=event.title,
        venue=event.venue_name,
        starts_at=event.starts_at,
        timezone=facts.timezone,
        link=personal_link(settings.public_base_url, invitation.token),
        reason=event.cancel_reason,
        changes=facts.changes,
    )


class WhatsAppChannel(PhoneChannel):
    channel = MessageChannel.WHATSAPP

    def __init__(
        self,
        provider: WhatsAppProvider,
        *,
        templates: Templates,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._provider = provider
        #: The approved templates, loaded once for the chunk (`approved_templates`).
        self._templates = templates
        self.concurrency = concurrency

    def address(self, participant: Participant, rows: ChannelRows) -> str | None:
        number = self.phone(participant)
        return whatsapp_address(number) if number is not None else None

    def compose(
        self, *, message: Message, facts: Facts, settings: Settings, now: datetime
    ) -> Composed:
        to = self.address(facts.participant, facts.rows)
        assert to is not None  # the still-wanted rules refuse a person without a number
        # Switched off since it was planned, the message went to the next channel in the
        # still-wanted rules.
        callback = status_callback_url(settings)
        # A coordinator's own words have no template: they go only inside the window.
        template = (
            None
            if message.purpose in FREE_TEXT_PURPOSES
            else self._templates.get((message.purpose, facts.participant.language))
        )
        if template is not None:
            values = message_values(message=message, facts=facts, settings=settings)
            return Composed(
                message_id=message.id,
                content=WhatsAppContent(
                    to=to,
                    status_callback=callback,
                    content_sid=template.content_sid,
                    variables=template_variables(template, values),
                ),
                # No text of ours to store: the sweeper finds a template by number and time.
                body=None,
            )
        if in_window(facts.rows, now):
            body = render_text(message=message, facts=facts, settings=settings, route=TWO_WAY)
            return Composed(
                message_id=message.id,
                content=WhatsAppContent(to=to, status_callback=callback, body=body),
                # Stored, so the sweeper can find the message at the provider by its text.
                body=body,
            )
        raise PermanentProviderError(
            "no-template",
            "no approved WhatsApp template for this message and language, "
            "and the person has not written within 24 hours",
            falls_back=True,
        )

    def send(
        self, composed: Composed, *, handing_over: Callable[[], None], now: datetime
    ) -> SentMessage:
        content = composed.content
        assert isinstance(content, WhatsAppContent)
        # Twilio keeps its own record of every message, which the sweeper asks.
        return self._provider.send(content)

    def receipt_status(self, receipt: SentMessage) -> MessageStatus:
        return receipt_status(receipt.status)

    def settle(self, in_flight: InFlight) -> Settlement:
        # Free text is found by its text; a template (no text stored) by number and time.
        return settle_at_twilio(
            in_flight,
            lambda to, after: self._provider.find_sent(
                to=to, body=in_flight.body, sent_after=after
            ),
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
        """WhatsApp has no carrier STOP: a refusal concerns this message (or the channel, and
        the lifecycle sends it on the next one); "not on WhatsApp" concerns the person."""
        note_refusal(session=session, message=message, code=error.code, now=now)

    def close(self) -> None:
        """The provider is the process's own and outlives the chunk."""
