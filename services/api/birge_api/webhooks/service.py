"""Storing verified webhooks. The work happens in a worker; the webhook only records and queues.

A callback delivered several times (Twilio retries, also concurrently) hits the same unique
`dedupe_key`, so only the first delivery is stored and queued.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.models import MessageChannel, ProviderCallback, utcnow
from birge_shared.outbox import insert_once_and_enqueue
from birge_shared.phones import InvalidPhoneError, normalise_mobile
from birge_shared.providers.twilio import whatsapp_number
from birge_shared.tasks import CallbackReceived


def _store(session: Session, values: dict[str, object]) -> bool:
    values.setdefault("received_at", utcnow())
    values.setdefault("attempts", 0)
    return insert_once_and_enqueue(session, ProviderCallback, values, CallbackReceived)


def record_status(
    *, session: Session, message_sid: str, status: str, error_code: str | None
) -> bool:
    """Store one status report; False when this exact report was stored before."""
    status = status.lower()
    return _store(
        session,
        {
            "kind": "status",
            "dedupe_key": f"status:{message_sid}:{status}",
            "message_sid": message_sid,
            "status": status,
            "error_code": error_code or None,
        },
    )


def record_inbound(
    *,
    session: Session,
    message_sid: str,
    sender: str,
    body: str,
    button_payload: str | None = None,
    replied_sid: str | None = None,
) -> bool:
    """Store one inbound SMS or WhatsApp message, the sender and text encrypted; False for a
    repeated delivery. A WhatsApp sender (`whatsapp:+…`) is stored as its number, so it
    matches the person's phone."""
    cipher = get_cipher()
    number = whatsapp_number(sender)
    try:
        normalised = normalise_mobile(number if number is not None else sender)
    except InvalidPhoneError:
        # Kept as given so the worker can still log that an unknown sender wrote.
        normalised = sender.strip()
    return _store(
        session,
        {
            "kind": "inbound",
            "dedupe_key": f"inbound:{message_sid}",
            "message_sid": message_sid,
            "from_hash": cipher.lookup_hash("phone", normalised),
            "from_encrypted": cipher.encrypt(normalised),
            "body_encrypted": cipher.encrypt(body),
            "channel": MessageChannel.WHATSAPP.value if number is not None else None,
            "button_payload": (button_payload or None) and button_payload[:128],
            "replied_sid": (replied_sid or None) and replied_sid[:64],
        },
    )
