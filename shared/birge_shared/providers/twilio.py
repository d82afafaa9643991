"""Twilio's words: webhook paths, status names, error codes and limits of its Messages API.

SMS and WhatsApp both go through the Messages API and share these; WhatsApp adds its address
prefix, its error codes and its `read` status. Another provider gets a module of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported when used: the models package loads SQLAlchemy, which `birge sms reply` and
    # the simulator, reading only the paths and reasons here, do without.
    from birge_shared.models.enums import MessageStatus

#: Where Twilio posts delivery reports and inbound messages (the API's webhook routes).
STATUS_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/messages"

#: The longest `ValidityPeriod` Twilio takes, in seconds; its default is this maximum.
MAX_VALIDITY_PERIOD = 36000

#: The recipient replied STOP at the carrier: a refusal at send time and a delivery error.
UNSUBSCRIBED = "21610"

#: Twilio's status names, as the values of our `MessageStatus`. Twilio's own "sending" means it
#: is handing the message to the carrier, which for us is still "queued at the provider"; our
#: SENDING means the provider call itself is in flight.
STATUS_VALUES: dict[str, str] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    # WhatsApp's read receipt (sent only while the person has read receipts switched on).
    "read": "read",
    "undelivered": "undelivered",
    "failed": "failed",
    # Twilio cancels only messages scheduled with it; for us such a message will never arrive.
    "canceled": "failed",
}

#: Refusals of a create that sending again would meet again, in our own words (Twilio's own
#: messages quote the number).
PERMANENT_REASONS: dict[int, str] = {
    20003: "Twilio refused the account credentials",
    20404: "Twilio does not know the account or resource",
    21211: "the recipient number is not a valid phone number",
    21212: "the sender number is not valid",
    21408: "sending to the recipient's region is not enabled on the account",
    21602: "the message body is empty",
    21606: "the sender cannot send SMS to this destination",
    21608: "a trial account can only send to verified numbers",
    int(UNSUBSCRIBED): "the recipient has unsubscribed (replied STOP)",
    21612: "the recipient number cannot be reached by SMS",
    21614: "the recipient number is not a mobile number",
    21617: "the message body exceeds 1600 characters",
}
TEMPORARY_REASONS: dict[int, str] = {
    20429: "Twilio is rate-limiting requests",
    63018: "WhatsApp is rate-limiting this sender",
}

#: A WhatsApp address is the number behind this prefix, in `To`, `From` and webhooks alike.
WHATSAPP_PREFIX = "whatsapp:"

#: "Not on WhatsApp": the person's, not the message's; their WhatsApp is switched off.
NOT_ON_WHATSAPP = 63003

#: WhatsApp's refusals that are the channel's, not the message's: the person is not on
#: WhatsApp, the session window is closed and no template was used, the template is missing
#: or its variables do not fit. The message then goes once on the person's next channel.
WHATSAPP_REFUSALS: dict[int, str] = {
    NOT_ON_WHATSAPP: "the number is not on WhatsApp",
    63016: "outside WhatsApp's 24-hour window, and no approved template was used",
    63024: "WhatsApp does not accept this recipient",
    63027: "the WhatsApp template does not exist for this language",
    63028: "the WhatsApp template takes a different number of values",
    63032: "WhatsApp does not deliver marketing templates to this number",
    63013: "WhatsApp refused the message under its policy",
    21655: "Twilio does not know the template (ContentSid)",
    21656: "Twilio refused the template's values (ContentVariables)",
}

#: Twilio's delivery error codes (https://www.twilio.com/docs/api/errors), in our own words: the
#: coordinator reads these next to the invitation that failed.
DELIVERY_REASONS: dict[str, str] = {
    "30003": "the phone is unreachable (switched off or out of coverage)",
    "30004": "the recipient's carrier blocked the message",
    "30005": "unknown destination: the number does not exist or is no longer in service",
    "30006": "a landline, or a carrier that cannot receive SMS",
    "30007": "the carrier filtered the message",
    "30008": "the carrier reported an unknown error",
    UNSUBSCRIBED: "the recipient has unsubscribed (replied STOP)",
    **{str(code): reason for code, reason in WHATSAPP_REFUSALS.items()},
    "63049": "WhatsApp chose not to deliver this marketing template",
}


def whatsapp_address(number: str) -> str:
    """The WhatsApp address of an E.164 number: `whatsapp:+996…`."""
    return WHATSAPP_PREFIX + number


def whatsapp_number(address: str) -> str | None:
    """The number of a `whatsapp:+…` address; None for an address of another channel (SMS)."""
    if address.lower().startswith(WHATSAPP_PREFIX):
        return address[len(WHATSAPP_PREFIX) :].strip()
    return None


def reported_status(provider_status: str | None) -> MessageStatus | None:
    """What a Twilio status in a delivery report means for us; None for one we do not know."""
    from birge_shared.models.enums import MessageStatus  # noqa: PLC0415 - see above

    value = STATUS_VALUES.get((provider_status or "").lower())
    return MessageStatus(value) if value is not None else None


def receipt_status(provider_status: str) -> MessageStatus:
    """The first status of a message Twilio accepted; its reports move it on later."""
    from birge_shared.models.enums import MessageStatus  # noqa: PLC0415 - see above

    return MessageStatus.SENT if provider_status == "sent" else MessageStatus.QUEUED
