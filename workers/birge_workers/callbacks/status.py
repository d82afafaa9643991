"""Delivery reports: a message's status only ever moves forward.

Twilio posts each report once per status, but not always in order, sometimes twice, and a
report can be retried after a later one arrived. So a report is applied only when it moves the
message forward: queued < sent < delivered < read, and a final status (read, undelivered,
failed) is never replaced. `delivered` arriving before `sent` leaves the message delivered, and
a `failed` after `delivered` is ignored, since the recipient already has the text. WhatsApp's
`read` is the one step past `delivered`; a `read` that overtakes `delivered` marks the message
delivered too, and the late `delivered` is ignored.

A failed invitation frees its seat for the waitlist; an "unsubscribed" failure (21610) means
the person replied STOP at the carrier, which Birge respects as an opt-out of its own. A
WhatsApp failure that is the channel's (`WHATSAPP_REFUSALS`) sends the message once on the
person's next channel instead, and "not on WhatsApp" switches the person's WhatsApp off.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.departure import opt_out_participant
from birge_shared.invitations import close_unanswered
from birge_shared.models import (
    InvitationStatus,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    ProviderCallback,
)
from birge_shared.outbound.fallback import plan_fallback
from birge_shared.providers.twilio import (
    DELIVERY_REASONS,
    UNSUBSCRIBED,
    WHATSAPP_REFUSALS,
    reported_status,
)
from birge_workers.whatsapp.channel import note_refusal

log = logging.getLogger(__name__)

#: The statuses a report may still move forward, by how far along they are.
_PROGRESS: dict[MessageStatus, int] = {
    MessageStatus.PLANNED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.SENT: 3,
}
_NOT_DELIVERED = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})


class StatusOutcome(enum.StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"  # stale, repeated or unknown status: the message stays as it is
    UNKNOWN_MESSAGE = "unknown_message"


def delivery_reason(error_code: str | None, status: MessageStatus) -> str:
    if error_code in DELIVERY_REASONS:
        return DELIVERY_REASONS[error_code]
    word = "could not be delivered" if status is MessageStatus.UNDELIVERED else "failed"
    return f"the message {word}" + (f" (provider error {error_code})" if error_code else "")


def moves_forward(current: MessageStatus, reported: MessageStatus) -> bool:
    """May `reported` replace `current`? Final statuses stay; others only move forward."""
    if current is MessageStatus.DELIVERED:
        # Only a read receipt follows delivery; a late failure does not undo it.
        return reported is MessageStatus.READ
    if current not in _PROGRESS:
        return False
    if reported not in _PROGRESS:
        return True
    return _PROGRESS[reported] > _PROGRESS[current]


def apply_status(
    *, session: Session, callback: ProviderCallback, over_invite: float = 1.0
) -> StatusOutcome:
    """Apply one delivery report to the message it is about; the caller commits."""
    reported = reported_status(callback.status)
    # Locked, so two reports of one message applied at once cannot interleave: without the
    # lock "sent" could be written after "delivered" had been.
    message = session.scalar(
        select(Message).where(Message.provider_sid == callback.message_sid).with_for_update()
    )
    if message is None:
        # A report for a message this installation did not send (or whose sid was never
        # recorded): there is nothing to update, and the provider does not resend reports.
        log.info("delivery report for an unknown message", extra={"sid": callback.message_sid})
        return StatusOutcome.UNKNOWN_MESSAGE
    if reported is None or not moves_forward(message.status, reported):
        log.info(
            "delivery report not applied",
            extra={
                "message_id": str(message.id),
                "current": message.status.value,
                "reported": callback.status,
            },
        )
        return StatusOutcome.IGNORED

    message.status = reported
    arrived = (MessageStatus.DELIVERED, MessageStatus.READ)
    if reported in (MessageStatus.SENT, *arrived) and message.sent_at is None:
        message.sent_at = callback.received_at
    if reported in arrived and message.delivered_at is None:
        message.delivered_at = callback.received_at
    if reported in _NOT_DELIVERED:
        _record_failure(
            session=session, message=message, callback=callback, over_invite=over_invite
        )
    session.flush()
    log.info(
        "delivery report applied",
        extra={"message_id": str(message.id), "status": reported.value},
    )
    return StatusOutcome.APPLIED


def _record_failure(
    *, session: Session, message: Message, callback: ProviderCallback, over_invite: float
) -> None:
    code = callback.error_code
    reason = delivery_reason(code, message.status)
    message.error_code = code
    message.error_reason = reason[:300]
    if message.channel is MessageChannel.WHATSAPP:
        note_refusal(session=session, message=message, code=code, now=callback.received_at)
    if (
        message.channel is MessageChannel.WHATSAPP
        and code is not None
        and code.isdigit()
        and int(code) in WHATSAPP_REFUSALS
        and plan_fallback(session=session, message=message) is not None
    ):
        # WhatsApp refused the channel, not the message (63016, outside the window, arrives
        # only as a late status): the message goes once on the person's next channel, and the
        # invitation keeps its seat while that one may still reach them.
        log.info("whatsapp refusal falls back", extra={"message_id": str(message.id)})
        return
    if message.purpose == MessagePurpose.INVITATION and message.invitation_id is not None:
        # Nobody will answer an invitation that never arrived: its seat goes to the waitlist.
        # An invitation answered meanwhile (through the page) keeps its answer.
        close_unanswered(
            session=session,
            invitation_id=message.invitation_id,
            status=InvitationStatus.FAILED,
            reason=f"invitation SMS not delivered: {reason}",
            over_invite=over_invite,
        )
    if code == UNSUBSCRIBED and message.participant_id is not None:
        # The carrier will refuse every further message anyway; recording the opt-out stops
        # Birge from inviting the person (and paying for refused messages) until they send
        # START, and gives their seats to the waitlist.
        opt_out_participant(
            session=session,
            participant_id=message.participant_id,
            now=callback.received_at,
            over_invite=over_invite,
        )
