"""`email.send`: each planned e-mail is sent at most once, and retried only when that is safe.

For every message id, in three steps:

1. claim, in a short transaction: lock the row, skip it unless it is a planned e-mail that is
   due, build the message from the event and the invitation as they are now, mark it
   `sending` (one more attempt) and commit;
2. hand it to the transport, outside any transaction;
3. record the outcome in another transaction: `sent`; or, after a temporary failure (4xx,
   connection trouble), `planned` again with a backoff and a new outbox row for that moment,
   until the attempts run out; or `failed` with the server's code after a permanent one.

A worker that dies between 1 and 3 leaves the row `sending`: nothing sends it again, because
nobody can know whether the server took it. A message that is no longer wanted when its turn
comes (the participant opted out or declined, the event was cancelled) is `skipped`.

E-mail keeps no quiet hours: unlike an SMS it does not ring a phone at night on arrival.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from birge_shared.budget import changes_of, is_held, not_held
from birge_shared.calendar import Recipient
from birge_shared.crypto import get_cipher
from birge_shared.mail.invitation import build_event_email
from birge_shared.models import (
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.tasks import EmailSend
from birge_workers.mail.transport import MailError, MailTransport

log = logging.getLogger(__name__)

#: Tries per e-mail before a temporary failure counts as final.
EMAIL_MAX_ATTEMPTS = 6
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=2)
#: Messages per `email.send` task: one SMTP connection serves a chunk.
EMAIL_CHUNK = 50
#: A planned, due e-mail untouched this long lost its task (a broker or worker failure):
#: `email.release_due` queues it again.
RELEASE_AFTER = timedelta(minutes=10)

#: Invitations whose holder still expects the event: they get the invitation and its updates.
_EXPECTING = frozenset({InvitationStatus.PLANNED, InvitationStatus.SENT, InvitationStatus.ACCEPTED})

Sessions = Callable[[], AbstractContextManager[Session]]


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Doubling waits after each failed attempt: 1, 2, 4 … minutes, at most `RETRY_MAX`."""
    return min(RETRY_FIRST * (1 << min(max(attempts - 1, 0), 16)), RETRY_MAX)


def chunks(ids: Sequence[uuid.UUID], size: int = EMAIL_CHUNK) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def queue_emails(*, session: Session, message_ids: Sequence[uuid.UUID]) -> None:
    """Queue `email.send` tasks for planned e-mails, in chunks, in the caller's transaction."""
    for chunk in chunks(message_ids):
        enqueue(session=session, payload=EmailSend(message_ids=chunk))


def send_emails(
    *,
    sessions: Sessions,
    transport: MailTransport,
    settings: Settings,
    message_ids: Sequence[uuid.UUID],
    clock: Callable[[], datetime] = utcnow,
) -> SendReport:
    report = SendReport()
    try:
        for message_id in message_ids:
            with sessions() as session:
                built = _claim(
                    session=session, message_id=message_id, settings=settings, now=clock()
                )
            if built is None:
                report.skipped += 1
                continue
            try:
                transport.send(built)
            except MailError as error:
                with sessions() as session:
                    outcome = _record_failure(
                        session=session, message_id=message_id, error=error, now=clock()
                    )
                if outcome is MessageStatus.PLANNED:
                    report.retrying += 1
                else:
                    report.failed += 1
                continue
            with sessions() as session:
                _record_sent(session=session, message_id=message_id, now=clock())
            report.sent += 1
    finally:
        transport.close()
    log.info(
        "e-mails handled",
        extra={
            "sent": report.sent,
            "retrying": report.retrying,
            "failed": report.failed,
            "skipped": report.skipped,
        },
    )
    return report


def _claim(
    *, session: Session, message_id: uuid.UUID, settings: Settings, now: datetime
) -> EmailMessage | None:
    if session.get_bind().dialect.name == "sqlite":
        _take_sqlite_write_lock(session)
    message = session.scalar(
        select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
    )
    if (
        message is None
        or message.channel is not MessageChannel.EMAIL
        or message.direction is not MessageDirection.OUTBOUND
        or message.status is not MessageStatus.PLANNED
    ):
        return None  # sent, in flight elsewhere, or not ours: nothing to do
    if message.not_before is not None and message.not_before > now:
        return None  # its retry is queued for later
    if is_held(session, message.batch_id):
        return None  # waits with its batch for an administrator's approval
    reason = _why_not_wanted(session, message, now)
    if reason is not None:
        message.status = MessageStatus.SKIPPED
        message.error_reason = reason
        message.updated_at = now
        log.info("e-mail skipped", extra={"message_id": str(message.id), "reason": reason})
        return None
    invitation = session.get(Invitation, message.invitation_id)
    participant = session.get(Participant, message.participant_id)
    # _why_not_wanted has refused a message without these.
    assert invitation is not None
    assert participant is not None
    assert participant.email_encrypted is not None
    cipher = get_cipher()
    try:
        built = build_event_email(
            purpose=message.purpose,
            event=invitation.event,
            recipient=Recipient(
                token=invitation.token,
                language=participant.language,
                invitation_status=invitation.status,
                email=cipher.decrypt(participant.email_encrypted),
                name=cipher.decrypt(participant.name_encrypted)
                if participant.name_encrypted
                else None,
            ),
            message_id=message.id,
            now=now,
            public_base_url=settings.public_base_url,
            mail_from=settings.mail_from,
            reply_address=settings.calendar_reply_address,
            changes=changes_of(session, message.batch_id),
        )
    except ValueError as exc:
        # An address the e-mail library cannot write will not improve with time. Only the
        # type of the error is kept, since its text could quote the address.
        message.status = MessageStatus.FAILED
        message.error_code = "invalid"
        message.error_reason = f"the e-mail could not be built ({type(exc).__name__})"
        message.updated_at = now
        log.warning("e-mail not built", extra={"message_id": str(message.id)})
        return None
    message.status = MessageStatus.SENDING
    message.attempts += 1
    message.updated_at = now
    return built


def _take_sqlite_write_lock(session: Session) -> None:
    # SQLite has no row locks, and Python's sqlite3 reads outside any transaction, so two
    # processes of the embedded set-up could both read an e-mail as planned and both send it.
    # A write that changes nothing opens the transaction and takes SQLite's single writer
    # lock first: the second claimant waits, then reads the row already marked `sending`.
    session.execute(
        update(Message)
        .where(Message.id.is_(None))
        .values(attempts=0)
        .execution_options(synchronize_session=False)
    )


def _why_not_wanted(session: Session, message: Message, now: datetime) -> str | None:
    """Why this e-mail should no longer be sent, or None when it should."""
    participant = (
        session.get(Participant, message.participant_id) if message.participant_id else None
    )
    if participant is None or participant.erased_at is not None:
        return "participant erased"
    invitation = session.get(Invitation, message.invitation_id) if message.invitation_id else None
    event: Event | None = invitation.event if invitation is not None else None
    if message.purpose == "event_cancelled":
        # The cancellation withdraws the invitation; the notice is still owed.
        event_reason = (
            event is not None and event.status is not EventStatus.CANCELLED,
            "event not cancelled",
        )
    else:
        event_reason = (
            event is not None
            and (event.status is not EventStatus.SCHEDULED or event.ends_at <= now),
            "event no longer scheduled",
        )
    reasons = [
        (participant.opted_out_at is not None, "participant opted out"),
        (participant.email_encrypted is None, "participant has no e-mail"),
        (invitation is None, "invitation gone"),
        event_reason,
        (
            message.purpose != "event_cancelled"
            and invitation is not None
            and invitation.status not in _EXPECTING,
            "invitation no longer open",
        ),
    ]
    return next((reason for applies, reason in reasons if applies), None)


def _record_sent(*, session: Session, message_id: uuid.UUID, now: datetime) -> None:
    message = session.get(Message, message_id, with_for_update=True)
    if message is None:
        return
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.not_before = None
    message.error_code = None
    message.error_reason = None
    message.updated_at = now
    log.debug("e-mail sent", extra={"message_id": str(message_id)})


def _record_failure(
    *, session: Session, message_id: uuid.UUID, error: MailError, now: datetime
) -> MessageStatus:
    message = session.get(Message, message_id, with_for_update=True)
    if message is None:
        return MessageStatus.FAILED
    message.error_code = error.code[:20]
    message.error_reason = error.reason[:300]
    message.updated_at = now
    extra = {"message_id": str(message_id), "code": error.code, "attempts": message.attempts}
    if error.temporary and message.attempts < EMAIL_MAX_ATTEMPTS:
        message.status = MessageStatus.PLANNED
        message.not_before = now + retry_delay(message.attempts)
        # The retry is an outbox row due when the wait ends: the relay is the timer.
        enqueue(
            session=session,
            payload=EmailSend(message_ids=[message_id]),
            available_at=message.not_before,
        )
        log.warning("e-mail deferred", extra=extra)
        return MessageStatus.PLANNED
    message.status = MessageStatus.FAILED
    log.warning("e-mail failed", extra=extra)
    return MessageStatus.FAILED


def release_due(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Queue again planned, due e-mails whose task was lost; return how many."""
    due = list(
        session.scalars(
            select(Message)
            .where(
                Message.status == MessageStatus.PLANNED,
                Message.channel == MessageChannel.EMAIL,
                Message.direction == MessageDirection.OUTBOUND,
                Message.updated_at <= now - RELEASE_AFTER,
                or_(Message.not_before.is_(None), Message.not_before <= now),
                # Held with its refill or change notice over the SMS budget: approval queues it.
                not_held(),
            )
            .order_by(Message.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for message in due:
        # Touched, so the next sweep leaves it alone while this task is on its way.
        message.updated_at = now
    queue_emails(session=session, message_ids=[message.id for message in due])
    session.flush()
    if due:
        log.info("planned e-mails queued again", extra={"count": len(due)})
    return len(due)
