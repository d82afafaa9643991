"""Sending planned SMS, each at most once.

A message moves `planned` → `sending` → `queued`/`sent` (or `failed`, `skipped`). Each step is
its own short transaction, because the provider call in the middle must not hold a database
transaction (or its row locks) open for as long as the network takes:

1. claim: lock the row (`FOR UPDATE SKIP LOCKED`, so two workers never wait on or both take
   it), check it is still due and still wanted, render and store its text, mark it `sending`;
2. take a token from the shared pacer;
3. call the provider once;
4. record the receipt (or the refusal, or a retry) and mark the invitation sent.

Only a row in `planned` is ever claimed, so a task delivered twice, or two workers with the
same chunk, send nothing twice. A worker that dies between 1 and 4 leaves the row `sending`;
the sweeper settles it by asking the provider, never by sending blindly.
"""

from __future__ import annotations

import enum
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from birge_shared.budget import changes_of, is_held
from birge_shared.crypto import get_cipher
from birge_shared.departure import AFTER_OPT_OUT, opt_out_participant
from birge_shared.followup import REMINDER, is_stale_reminder
from birge_shared.free_text import FREE_TEXT_PURPOSES
from birge_shared.invitations import close_unanswered, deadline_for
from birge_shared.models import (
    City,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_shared.outbox import enqueue
from birge_shared.providers.twilio import MAX_VALIDITY_PERIOD
from birge_shared.settings import Settings
from birge_shared.sms.overrides import load_overrides
from birge_shared.sms.render import personal_link, render_event_sms, render_plain_sms
from birge_shared.sms.segments import count_segments
from birge_shared.surveys import SURVEY_PURPOSES, SURVEY_REPLIES
from birge_shared.tasks import SmsSend
from birge_workers.sending.pacing import Pacer
from birge_workers.sending.quiet_hours import quiet_until
from birge_workers.sms.provider import (
    PermanentProviderError,
    SentMessage,
    SmsProvider,
    TemporaryProviderError,
)

log = logging.getLogger(__name__)

Transaction = Callable[[], AbstractContextManager[Session]]

INVITATION = MessagePurpose.INVITATION
#: The notice of a cancellation: the one text about a cancelled event that still goes out.
CANCELLATION = MessagePurpose.EVENT_CANCELLED
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
#: Twilio's code for "the recipient replied STOP at the carrier".
UNSUBSCRIBED = "21610"
#: Texts that answer what a person just did (a reply, an answer on the page): they go at once,
#: even at night, because the person is holding the phone and waiting for them.
ANSWERS = frozenset(
    {
        "accepted",
        "declined",
        "waitlisted",
        "invitation_waiting",
        "opted_out",
        "opted_in",
        "help",
        "reply_hint",
    }
)
# The next question of an SMS survey, its hint and its thanks answer a reply just sent.
ANSWERS |= SURVEY_REPLIES

RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
#: How long one send waits for a token before giving its chunk back to the queue. Long enough
#: for a busy hour (many processes sharing a slow rate), short enough that a worker is not
#: held for minutes by a rate it cannot get.
PACING_WAIT_SECONDS = 30.0


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a temporary error: planned again with a backoff
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer wanted (answered, cancelled, opted out)
    QUIET = "quiet"  # waits for the end of quiet hours
    NOT_DUE = "not_due"  # its wait (backoff, quiet hours) is not over
    NOT_PLANNED = "not_planned"  # already sent, in flight, settled, locked by another worker
    IN_DOUBT = "in_doubt"  # the provider may have it: left `sending` for the sweeper
    PACED_OUT = "paced_out"  # the pacer gave no token in time: queued again


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message marked `sending`, with what the provider call needs; kept in memory only."""

    message_id: uuid.UUID
    attempts: int
    event_starts_at: datetime | None
    to: str = field(repr=False)
    body: str = field(repr=False)


def retry_delay(attempts: int, *, jitter: Callable[[], float] = random.random) -> timedelta:
    """The wait after `attempts` failed tries: 30 s doubling per try, capped at an hour.

    Jittered by ±20 % so messages that failed together (a provider outage) do not all come
    back in the same second.
    """
    exponent = min(max(attempts - 1, 0), 16)  # 2**16 × 30 s is far past the cap already
    base = min(RETRY_FIRST * (1 << exponent), RETRY_MAX)
    return min(base * (0.8 + 0.4 * jitter()), RETRY_MAX)


def status_callback_url(settings: Settings) -> str:
    return settings.public_base_url + STATUS_CALLBACK_PATH


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


def receipt_status(provider_status: str) -> MessageStatus:
    """The first status of a message the provider accepted; its reports move it on later."""
    return MessageStatus.SENT if provider_status == "sent" else MessageStatus.QUEUED


# ----------------------------------------------------------------------------- 1. claim


def claim_for_sending(
    *, session: Session, message_id: uuid.UUID, settings: Settings, now: datetime
) -> Claimed | Outcome:
    """Mark one due, still wanted message `sending` and return what to send; the caller commits.

    Anything else is said by the returned `Outcome`: the row was skipped, deferred to the end
    of quiet hours, given up, or is not this worker's to send.
    """
    if session.get_bind().dialect.name == "sqlite":
        _take_sqlite_write_lock(session)
    message = session.scalar(
        select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
    )
    if (
        message is None
        or message.status is not MessageStatus.PLANNED
        or message.direction is not MessageDirection.OUTBOUND
        or message.channel is not MessageChannel.SMS
        # Its refill or change notice waits for approval over the budget; approval queues it.
        or is_held(session, message.batch_id)
    ):
        return Outcome.NOT_PLANNED
    if message.not_before is not None and message.not_before > now:
        return Outcome.NOT_DUE

    participant = (
        session.get(Participant, message.participant_id) if message.participant_id else None
    )
    invitation = session.get(Invitation, message.invitation_id) if message.invitation_id else None
    event = session.get(Event, invitation.event_id) if invitation is not None else None
    reason = _unwanted(message, participant, invitation, event, now)
    if reason is not None:
        _finish(
            session=session,
            message=message,
            status=MessageStatus.SKIPPED,
            code=None,
            reason=reason,
            now=now,
        )
        if reason in _PERSON_GONE and message.purpose == INVITATION and invitation is not None:
            # Nobody will ever receive this invitation: its seat goes to the waitlist now.
            close_unanswered(
                session=session,
                invitation_id=invitation.id,
                status=InvitationStatus.FAILED,
                reason=reason,
                over_invite=settings.over_invite_factor,
            )
        log.info("sms skipped", extra={"message_id": str(message_id), "reason": reason})
        return Outcome.SKIPPED
    assert participant is not None  # _unwanted refuses a message without one
    if message.attempts >= settings.sms_max_attempts:
        give_up(
            session=session,
            message=message,
            code=message.error_code,
            now=now,
            settings=settings,
            reason=f"gave up after {message.attempts} attempts",
        )
        return Outcome.FAILED

    timezone = event.city.timezone if event is not None else _city_timezone(session, participant)
    if message.purpose not in ANSWERS:
        until = quiet_until(
            now,
            timezone=timezone,
            start=settings.quiet_hours_start,
            end=settings.quiet_hours_end,
        )
        if until is not None:
            message.not_before = until
            message.updated_at = now
            log.info(
                "sms waits for the end of quiet hours",
                extra={"message_id": str(message_id), "not_before": until.isoformat()},
            )
            return Outcome.QUIET

    cipher = get_cipher()
    body = _render(
        session=session,
        message=message,
        participant=participant,
        invitation=invitation,
        event=event,
        settings=settings,
    )
    message.body_encrypted = cipher.encrypt(body)
    message.segments = count_segments(body).segments
    message.status = MessageStatus.SENDING
    message.attempts += 1
    message.not_before = None
    # The sweeper reads `updated_at` of a `sending` row as the moment the attempt began.
    message.updated_at = now
    assert participant.phone_encrypted is not None  # _unwanted refuses an erased number
    return Claimed(
        message_id=message.id,
        attempts=message.attempts,
        # A survey after the event may be held by the provider as long as it likes.
        event_starts_at=(
            event.starts_at
            if event is not None and message.purpose not in SURVEY_PURPOSES
            else None
        ),
        to=cipher.decrypt(participant.phone_encrypted),
        body=body,
    )


_ERASED = "the participant was erased"
_OPTED_OUT = "the participant opted out"
_PERSON_GONE = frozenset({_ERASED, _OPTED_OUT})


def _take_sqlite_write_lock(session: Session) -> None:
    # SQLite has no row locks, and Python's sqlite3 reads outside any transaction, so two
    # processes of the embedded set-up could both read a message as planned and both send it.
    # A write that changes nothing opens the transaction and takes SQLite's single writer
    # lock first: the second claimant waits, then reads the row already marked `sending`.
    session.execute(
        update(Message)
        .where(Message.id.is_(None))
        .values(attempts=0)
        .execution_options(synchronize_session=False)
    )


def _unwanted(
    message: Message,
    participant: Participant | None,
    invitation: Invitation | None,
    event: Event | None,
    now: datetime,
) -> str | None:
    """Why this message should no longer be sent, or None when it should."""
    if participant is None or participant.erased_at is not None or not participant.phone_encrypted:
        return _ERASED
    reasons = [
        (
            participant.opted_out_at is not None and message.purpose not in AFTER_OPT_OUT,
            _OPTED_OUT,
        ),
        (
            message.purpose in FREE_TEXT_PURPOSES and message.body_encrypted is None,
            "the written text was purged before it was sent",
        ),
        (
            message.invitation_id is not None and (invitation is None or event is None),
            "the invitation no longer exists",
        ),
        (
            event is not None
            and event.status is EventStatus.CANCELLED
            and message.purpose != CANCELLATION,
            "the event was cancelled",
        ),
        (
            event is not None
            # Surveys are about the event, so most of them go after it.
            and message.purpose not in SURVEY_PURPOSES
            and (
                event.status not in (EventStatus.SCHEDULED, EventStatus.CANCELLED)
                or event.starts_at <= now
            ),
            "the event has already started",
        ),
        (
            message.purpose == REMINDER
            and is_stale_reminder(message.dedupe_key, invitation, event),
            "the reminder was for another start time or an answer since changed",
        ),
        (
            message.purpose == INVITATION
            and invitation is not None
            and invitation.status is not InvitationStatus.PLANNED,
            f"the invitation is already {invitation.status.value}" if invitation else "",
        ),
    ]
    return next((reason for applies, reason in reasons if applies), None)


def _city_timezone(session: Session, participant: Participant) -> str:
    city = session.get(City, participant.city_code)
    if city is None:
        raise LookupError("the participant's city is unknown")
    return city.timezone


def _render(
    *,
    session: Session,
    message: Message,
    participant: Participant,
    invitation: Invitation | None,
    event: Event | None,
    settings: Settings,
) -> str:
    if message.purpose in FREE_TEXT_PURPOSES:
        assert message.body_encrypted is not None  # _unwanted skips one whose text is gone
        return get_cipher().decrypt(message.body_encrypted)
    overrides = load_overrides(session)
    if invitation is None or event is None:
        return render_plain_sms(
            purpose=message.purpose, language=participant.language, overrides=overrides
        )
    return render_event_sms(
        purpose=message.purpose,
        language=participant.language,
        title=event.title,
        venue=event.venue_name,
        starts_at=event.starts_at,
        timezone=event.city.timezone,
        link=personal_link(settings.public_base_url, invitation.token),
        overrides=overrides,
        reason=event.cancel_reason,
        changes=changes_of(session, message.batch_id),
    )


# ----------------------------------------------------------------------------- 4. outcomes


def _locked_in_flight(session: Session, message_id: uuid.UUID, attempts: int) -> Message | None:
    """The message, locked, if it is still in the attempt this worker made; else None."""
    message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    if (
        message is None
        or message.status is not MessageStatus.SENDING
        or message.attempts != attempts
    ):
        log.warning(
            "sms outcome for a message no longer in flight",
            extra={"message_id": str(message_id)},
        )
        return None
    return message


def record_receipt(
    *,
    session: Session,
    message: Message,
    receipt: SentMessage,
    now: datetime,
    settings: Settings,
) -> None:
    """The provider has the message: store its id and first status, and mark the invitation."""
    message.provider_sid = receipt.sid
    message.status = receipt_status(receipt.status)
    message.sent_at = now
    if receipt.segments is not None:
        message.segments = receipt.segments  # the provider's count is what is billed
    message.error_code = None
    message.error_reason = None
    message.updated_at = now
    if message.purpose != INVITATION or message.invitation_id is None:
        return
    invitation = session.scalar(
        select(Invitation).where(Invitation.id == message.invitation_id).with_for_update()
    )
    if invitation is None or invitation.status is not InvitationStatus.PLANNED:
        return  # answered, withdrawn or closed meanwhile: that decision stands
    event = session.get(Event, invitation.event_id)
    assert event is not None  # the invitation's foreign key
    invitation.status = InvitationStatus.SENT
    invitation.sent_at = now
    invitation.expires_at = deadline_for(event=event, sent_at=now, settings=settings)


def give_up(
    *,
    session: Session,
    message: Message,
    code: str | None,
    reason: str,
    now: datetime,
    settings: Settings,
) -> None:
    """The message will not be sent: mark it failed and free the invitation's seat."""
    _finish(
        session=session,
        message=message,
        status=MessageStatus.FAILED,
        code=code,
        reason=reason,
        now=now,
    )
    if message.purpose == INVITATION and message.invitation_id is not None:
        # Frees the seat and invites the next person from the waitlist, in this transaction.
        close_unanswered(
            session=session,
            invitation_id=message.invitation_id,
            status=InvitationStatus.FAILED,
            reason=f"the invitation SMS could not be sent: {reason}",
            over_invite=settings.over_invite_factor,
        )
    log.warning(
        "sms failed",
        extra={"message_id": str(message.id), "code": code, "reason": reason},
    )


def _finish(
    *,
    session: Session,
    message: Message,
    status: MessageStatus,
    code: str | None,
    reason: str,
    now: datetime,
) -> None:
    message.status = status
    message.error_code = code[:20] if code else None
    message.error_reason = reason[:300]
    message.not_before = None
    message.updated_at = now
    session.flush()


def record_refusal(
    *,
    session: Session,
    message_id: uuid.UUID,
    attempts: int,
    error: PermanentProviderError,
    now: datetime,
    settings: Settings,
) -> None:
    """The provider refused the message for good; a STOP at the carrier is our opt-out too."""
    message = _locked_in_flight(session, message_id, attempts)
    if message is None:
        return
    give_up(
        session=session,
        message=message,
        code=error.code,
        reason=error.reason,
        now=now,
        settings=settings,
    )
    if error.code == UNSUBSCRIBED and message.participant_id is not None:
        # After giving up, so the refused invitation reads as failed; the person's other
        # invitations and pending messages go with the opt-out.
        opt_out_participant(
            session=session,
            participant_id=message.participant_id,
            now=now,
            over_invite=settings.over_invite_factor,
        )


def record_temporary_failure(
    *,
    session: Session,
    message_id: uuid.UUID,
    attempts: int,
    error: TemporaryProviderError,
    now: datetime,
    settings: Settings,
) -> Outcome:
    """The provider did not take the message this time: plan a retry, or give up at the bound."""
    message = _locked_in_flight(session, message_id, attempts)
    if message is None:
        return Outcome.NOT_PLANNED
    if message.attempts >= settings.sms_max_attempts:
        give_up(
            session=session,
            message=message,
            code=error.code,
            reason=f"gave up after {message.attempts} attempts: {error.reason}",
            now=now,
            settings=settings,
        )
        return Outcome.FAILED
    delay = retry_delay(message.attempts)
    message.status = MessageStatus.PLANNED
    message.not_before = now + delay
    message.error_code = error.code[:20] if error.code else None
    message.error_reason = error.reason[:300]
    message.updated_at = now
    log.info(
        "sms will be retried",
        extra={
            "message_id": str(message_id),
            "attempts": message.attempts,
            "code": error.code,
            "retry_in_seconds": round(delay.total_seconds()),
        },
    )
    return Outcome.RETRY


def give_back(
    *,
    session: Session,
    message_id: uuid.UUID,
    attempts: int,
    requeue: Sequence[uuid.UUID],
    now: datetime,
) -> None:
    """No token came in time: the message was not sent, so it is planned again, unchanged,
    and it and the rest of its chunk go back to the queue."""
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == MessageStatus.SENDING,
                Message.attempts == attempts,
            )
            .values(status=MessageStatus.PLANNED, attempts=attempts - 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        log.warning("sms given back was no longer in flight", extra={"message_id": str(message_id)})
    enqueue(session=session, payload=SmsSend(message_ids=list(requeue)))


# ----------------------------------------------------------------------------- the chunk


def send_one(
    *,
    message_id: uuid.UUID,
    transaction: Transaction,
    provider: SmsProvider,
    pacer: Pacer,
    settings: Settings,
    requeue_on_no_token: Sequence[uuid.UUID] = (),
    clock: Callable[[], datetime] = utcnow,
) -> Outcome:
    """Send one planned message at most once, through claim, pace, call and record."""
    with transaction() as session:
        claimed = claim_for_sending(
            session=session, message_id=message_id, settings=settings, now=clock()
        )
    if isinstance(claimed, Outcome):
        return claimed

    if not pacer.acquire(timeout=PACING_WAIT_SECONDS):
        with transaction() as session:
            give_back(
                session=session,
                message_id=message_id,
                attempts=claimed.attempts,
                requeue=[message_id, *requeue_on_no_token],
                now=clock(),
            )
        log.warning(
            "no send token in time; chunk queued again", extra={"message_id": str(message_id)}
        )
        return Outcome.PACED_OUT

    return _call_provider(
        claimed=claimed,
        transaction=transaction,
        provider=provider,
        settings=settings,
        clock=clock,
    )


def _call_provider(
    *,
    claimed: Claimed,
    transaction: Transaction,
    provider: SmsProvider,
    settings: Settings,
    clock: Callable[[], datetime],
) -> Outcome:
    """Hand the claimed message to the provider once, then record what it said."""
    message_id = claimed.message_id
    try:
        receipt = provider.send(
            to=claimed.to,
            body=claimed.body,
            status_callback=status_callback_url(settings),
            validity_period=validity_period(claimed.event_starts_at, clock()),
        )
    except PermanentProviderError as error:
        with transaction() as session:
            record_refusal(
                session=session,
                message_id=message_id,
                attempts=claimed.attempts,
                error=error,
                now=clock(),
                settings=settings,
            )
        return Outcome.FAILED
    except TemporaryProviderError as error:
        if error.may_have_been_sent:
            # Sending again could deliver it twice; the sweeper asks the provider instead.
            log.warning(
                "sms outcome unknown; left for the sweeper",
                extra={"message_id": str(message_id), "reason": error.reason},
            )
            return Outcome.IN_DOUBT
        with transaction() as session:
            return record_temporary_failure(
                session=session,
                message_id=message_id,
                attempts=claimed.attempts,
                error=error,
                now=clock(),
                settings=settings,
            )
    except Exception:
        # Unexpected: whether the request left is unknown, so the row stays `sending` and the
        # sweeper settles it. Logged with its type and frames, never its text.
        log.exception(
            "sms send crashed; left for the sweeper", extra={"message_id": str(message_id)}
        )
        return Outcome.IN_DOUBT

    with transaction() as session:
        message = _locked_in_flight(session, message_id, claimed.attempts)
        if message is not None:
            record_receipt(
                session=session, message=message, receipt=receipt, now=clock(), settings=settings
            )
    log.info("sms handed to the provider", extra={"message_id": str(message_id)})
    return Outcome.SENT


def send_messages(
    *,
    message_ids: Sequence[uuid.UUID],
    transaction: Transaction,
    provider: SmsProvider,
    pacer: Pacer,
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
) -> Counter[Outcome]:
    """Send a chunk of planned messages, each at most once; count what happened to them."""
    outcomes: Counter[Outcome] = Counter()
    ids = list(dict.fromkeys(message_ids))  # a repeated id would only be skipped
    for position, message_id in enumerate(ids):
        outcome = send_one(
            message_id=message_id,
            transaction=transaction,
            provider=provider,
            pacer=pacer,
            settings=settings,
            requeue_on_no_token=ids[position + 1 :],
            clock=clock,
        )
        outcomes[outcome] += 1
        if outcome is Outcome.PACED_OUT:
            break  # the rest went back to the queue with it
    log.info("sms chunk done", extra={"counts": {key.value: n for key, n in outcomes.items()}})
    return outcomes
