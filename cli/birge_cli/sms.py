"""`birge sms reply PHONE TEXT`: a participant's SMS reply, as the phone network delivers it.

With the local simulator there is no phone to answer from. This posts the form Twilio posts
for an inbound SMS, signed with the configured auth token, to the running API's webhook, so the
real path runs: signature check, storage, the outbox, and the worker that understands the text
and plans the answer (which the simulator then "delivers" to its outbox file).
"""

from __future__ import annotations

import secrets

from birge_shared.phones import normalise_mobile
from birge_shared.providers.twilio import INBOUND_PATH
from birge_shared.settings import Settings
from birge_workers.sms.signing import sign_and_post
from birge_workers.sms.simulator import SIMULATOR_ACCOUNT_SID, SIMULATOR_FROM_NUMBER

#: The API's inbound SMS webhook (see birge_api.webhooks.router; a test keeps the two equal).


def new_message_sid() -> str:
    """A sid in Twilio's shape ("SM" and 32 hex digits), unique per injected reply."""
    return "SM" + secrets.token_hex(16)


def inbound_url(settings: Settings) -> str:
    return settings.public_base_url + INBOUND_PATH


def inbound_form(*, settings: Settings, phone: str, text: str, sid: str) -> dict[str, str]:
    """The fields Twilio posts for one inbound SMS; `phone` is normalised to E.164 first.

    Raises `InvalidPhoneError` (whose message never repeats the number) for a bad number.
    """
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": settings.twilio_account_sid or SIMULATOR_ACCOUNT_SID,
        "From": normalise_mobile(phone),
        "To": settings.twilio_from_number or SIMULATOR_FROM_NUMBER,
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def post_reply(*, settings: Settings, phone: str, text: str, timeout: float = 10.0) -> int:
    """Post one signed inbound SMS to the webhook; the HTTP status of the answer.

    Raises `InvalidPhoneError` for a bad number and `OSError` when the API cannot be reached.
    """
    form = inbound_form(settings=settings, phone=phone, text=text, sid=new_message_sid())
    return sign_and_post(
        inbound_url(settings),
        form,
        settings.twilio_auth_token.get_secret_value(),
        timeout=timeout,
    )
