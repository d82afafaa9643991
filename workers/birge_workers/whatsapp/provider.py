"""WhatsApp's provider call: Twilio's Messages API, with a Content template or free text.

The create and the lookup are SMS's (`TwilioMessages`); what is WhatsApp's own is the
`whatsapp:` sender, `ContentSid` with `ContentVariables` in place of a body, and that a
template's text as Twilio lists it is not ours to compare: a template message is found by its
number and time alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from birge_shared.providers.twilio import whatsapp_address
from birge_shared.settings import Settings
from birge_workers.outbound.provider import PermanentProviderError, ProviderError, SentMessage
from birge_workers.sms.provider import same_text
from birge_workers.sms.twilio_provider import TwilioMessages


@dataclass(frozen=True, slots=True)
class WhatsAppContent:
    """One WhatsApp message: a template and its values, or a text (in the session window)."""

    #: `whatsapp:+996…`
    to: str = field(repr=False)
    status_callback: str
    content_sid: str | None = None
    #: The template's values as Twilio takes them: JSON of `{"1": …, "2": …}`.
    variables: str | None = field(repr=False, default=None)
    body: str | None = field(repr=False, default=None)


class WhatsAppProvider(Protocol):
    def send(self, content: WhatsAppContent) -> SentMessage:
        """Hand one WhatsApp message to the provider; raises the provider errors."""
        ...

    def find_sent(self, *, to: str, body: str | None, sent_after: datetime) -> list[SentMessage]:
        """The provider's messages to `to` since `sent_after`, newest first: those with this
        text, or for a template (`body` None) every one. Raises a `ProviderError` when the
        provider cannot be asked."""
        ...


class TwilioWhatsApp:
    def __init__(
        self,
        messages: TwilioMessages,
        *,
        sender: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> None:
        if not (sender or messaging_service_sid):
            raise ValueError("WhatsApp needs WHATSAPP_FROM or WHATSAPP_MESSAGING_SERVICE_SID")
        self._api = messages
        self._sender = sender
        self._messaging_service_sid = messaging_service_sid

    def send(self, content: WhatsAppContent) -> SentMessage:
        params: dict[str, object] = {"to": content.to, "status_callback": content.status_callback}
        # As for SMS, a Messaging Service (with a WhatsApp sender in its pool) wins.
        if self._messaging_service_sid:
            params["messaging_service_sid"] = self._messaging_service_sid
        else:
            assert self._sender is not None  # the constructor asks for one of the two
            params["from_"] = whatsapp_address(self._sender)
        if content.content_sid is not None:
            params["content_sid"] = content.content_sid
            if content.variables is not None:
                params["content_variables"] = content.variables
        else:
            params["body"] = content.body
        return self._api.create(params)

    def find_sent(self, *, to: str, body: str | None, sent_after: datetime) -> list[SentMessage]:
        return [
            listed.receipt
            for listed in self._api.created_since(to=to, sent_after=sent_after)
            if body is None or same_text(body, listed.body)
        ]


class WhatsAppOff:
    """The provider while no WhatsApp sender is configured: every message goes elsewhere."""

    def send(self, content: WhatsAppContent) -> SentMessage:
        raise PermanentProviderError(
            "whatsapp-off", "WhatsApp is not configured (WHATSAPP_FROM)", falls_back=True
        )

    def find_sent(self, *, to: str, body: str | None, sent_after: datetime) -> list[SentMessage]:
        raise ProviderError(None, "WhatsApp is not configured (WHATSAPP_FROM)")


def whatsapp_provider_from_settings(settings: Settings) -> WhatsAppProvider:
    """Twilio's WhatsApp when a sender is configured; build it once per process."""
    if not settings.uses_whatsapp or settings.twilio_account_sid is None:
        return WhatsAppOff()
    return TwilioWhatsApp(
        TwilioMessages(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            api_base=settings.twilio_api_base,
        ),
        sender=settings.whatsapp_from,
        messaging_service_sid=settings.whatsapp_messaging_service_sid,
    )
