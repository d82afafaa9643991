"""Sending a chunk of planned messages of one channel, each at most once.

A message moves `planned` → `sending` → `queued`/`sent` (or `failed`, `skipped`). The chunk
goes through three steps, each a short transaction or none, because the provider calls in the
middle must not hold a transaction (or its row locks) open for as long as the network takes:

1. claim, one transaction for the chunk: lock its rows (`FOR UPDATE SKIP LOCKED`, so two
   workers never wait on or both take one), load their people, invitations, events, cities,
   texts and batches once, keep those still due and still wanted (`wanted`), render each and
   mark it `sending`;
2. send: a few threads call the provider, each send taking a token from the shared pacer
   first; a send without a token in time gives its message and the chunk's unsent rest back;
3. record, one transaction: the receipts in one statement, their invitations marked sent,
   then the rare refusals (given up), temporary failures (planned again after the backoff)
   and give-backs.

Only a row in `planned` is ever claimed, so a task delivered twice, or two workers with the
same chunk, send nothing twice. A worker that dies between 1 and 3 leaves rows `sending`; the
sweeper settles them by asking the provider, never by sending blindly.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy import Table, bindparam, exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from birge_shared.budget import not_held
from birge_shared.bulk import among, update_rows
from birge_shared.channels import rows_of
from birge_shared.crypto import get_cipher
from birge_shared.db import take_sqlite_write_lock
from birge_shared.invitations import close_unanswered, deadline_for
from birge_shared.models import (
    City,
    Event,
    Invitation,
    InvitationBatch,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Participant,
    utcnow,
)
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.fallback import plan_fallback
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.sms.overrides import load_overrides
from birge_shared.surveys import SURVEY_REPLIES
from birge_workers.outbound.backoff import retry_delay
from birge_workers.outbound.channel import Channel, Composed, Facts
from birge_workers.outbound.provider import (
    PermanentProviderError,
    SentMessage,
    TemporaryProviderError,
)
from birge_workers.outbound.wanted import CHANNEL_OFF, PERSON_GONE, channel_on, unwanted
from birge_workers.sending.pacing import Pacer
from birge_workers.sending.quiet_hours import quiet_until
from birge_workers.sending.runtime import PerProcess

log = logging.getLogger(__name__)

_Row = TypeVar("_Row", Participant, Invitation, Event)

#: The unit of work: a context manager that yields a session and commits it on success.
Transaction = Callable[[], AbstractContextManager[Session]]

#: Texts that answer what a person just did (a reply, an answer on the page): they go at once,
#: even at night, because the person is holding the phone and waiting for them.
ANSWERS: frozenset[str] = frozenset(
    {
        MessagePurpose.ACCEPTED,
        MessagePurpose.DECLINED,
        MessagePurpose.WAITLISTED,
        MessagePurpose.INVITATION_WAITING,
        MessagePurpose.OPTED_OUT,
        MessagePurpose.OPTED_IN,
        MessagePurpose.HELP,
        MessagePurpose.REPLY_HINT,
        # The next question of an SMS survey, its hint and its thanks answer a reply just sent.
        *SURVEY_REPLIES,
    }
)
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
    """A message marked `sending`, with what its provider call needs; kept in memory only."""

    message_id: uuid.UUID
    attempts: int
    composed: Composed = field(repr=False)


@dataclass
class Claim:
    """What claiming a chunk did: the messages to send, and what happened to the others."""

    claimed: list[Claimed] = field(default_factory=list)
    outcomes: dict[uuid.UUID, Outcome] = field(default_factory=dict)


# ----------------------------------------------------------------------------- 1. claim


def claim_chunk(
    *,
    session: Session,
    channel: Channel,
    message_ids: Sequence[uuid.UUID],
    settings: Settings,
    now: datetime,
) -> Claim:
    """Mark the chunk's due, still wanted messages `sending`; the caller commits."""
    claim = Claim()
    ids = list(dict.fromkeys(message_ids))  # a repeated id would only be skipped
    take_sqlite_write_lock(session)
    messages = {
        message.id: message
        for message in session.scalars(
            select(Message)
            .where(
                among(session, Message.id, ids),
                Message.status == MessageStatus.PLANNED,
                Message.direction == MessageDirection.OUTBOUND,
                Message.channel == channel.channel,
                # Its refill or change notice waits for approval over the budget.
                not_held(),
            )
            .with_for_update(skip_locked=True, of=Message)
        )
    }
    for message_id in ids:
        if message_id not in messages:
            claim.outcomes[message_id] = Outcome.NOT_PLANNED
    if not messages:
        return claim
    facts = _load_facts(session, list(messages.values()))
    cipher = get_cipher()
    marks: list[dict[str, object]] = []
    for message_id in ids:
        message = messages.get(message_id)
        if message is None:
            continue
        outcome = _claim_one(
            session=session,
            channel=channel,
            message=message,
            facts=facts(message),
            settings=settings,
            now=now,
        )
        if isinstance(outcome, Outcome):
            claim.outcomes[message_id] = outcome
            continue
        sending = {
            "body_encrypted": cipher.encrypt(outcome.body)
            if outcome.body is not None
            else message.body_encrypted,
            "segments": outcome.segments,
            "status": MessageStatus.SENDING,
            "attempts": message.attempts + 1,
            "not_before": None,
            "sent_at": None,
            # The sweeper reads `updated_at` of a `sending` row as the moment the attempt
            # began.
            "updated_at": now,
        }
        # Written below in one statement for the chunk; the object is told, not made dirty.
        for name, value in sending.items():
            set_committed_value(message, name, value)
        marks.append({"id": message.id, **sending})
        claim.claimed.append(
            Claimed(message_id=message.id, attempts=message.attempts, composed=outcome)
        )
    session.flush()
    update_rows(
        session,
        cast(Table, Message.__table__),
        marks,
        keys=["id"],
        values=lambda p: {name: p(name) for name in _SENDING_COLUMNS},
    )
    return claim


#: What claiming a message writes: its text, its cost, and the start of its attempt.
_SENDING_COLUMNS = (
    "body_encrypted",
    "segments",
    "status",
    "attempts",
    "not_before",
    "sent_at",
    "updated_at",
)


def _load_facts(session: Session, messages: list[Message]) -> Callable[[Message], Facts | None]:
    """Everything the chunk's messages refer to, in a handful of queries."""
    people = _by_id(session, Participant, {m.participant_id for m in messages})
    invitations = _by_id(session, Invitation, {m.invitation_id for m in messages})
    events = _by_id(session, Event, {i.event_id for i in invitations.values()})
    cities = {
        city.code: city.timezone
        for city in session.scalars(
            select(City).where(
                City.code.in_(
                    {p.city_code for p in people.values()} | {e.city_code for e in events.values()}
                )
            )
        )
    }
    batch_ids = {m.batch_id for m in messages if m.batch_id is not None}
    changes = (
        {
            batch_id: list(value or [])
            for batch_id, value in session.execute(
                select(InvitationBatch.id, InvitationBatch.changes).where(
                    InvitationBatch.id.in_(batch_ids)
                )
            )
        }
        if batch_ids
        else {}
    )
    overrides = load_overrides(session)
    channel_rows = rows_of(session, people.keys())

    def facts(message: Message) -> Facts | None:
        person = people.get(message.participant_id) if message.participant_id else None
        if person is None:
            return None
        invitation = invitations.get(message.invitation_id) if message.invitation_id else None
        event = events.get(invitation.event_id) if invitation is not None else None
        city = event.city_code if event is not None else person.city_code
        if city not in cities:
            raise LookupError("the participant's city is unknown")
        return Facts(
            participant=person,
            invitation=invitation,
            event=event,
            overrides=overrides,
            changes=changes.get(message.batch_id, []) if message.batch_id else [],
            timezone=cities[city],
            rows={row.channel: row for row in channel_rows.get(person.id, [])},
        )

    return facts


def _by_id(
    session: Session, model: type[_Row], ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, _Row]:
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    return {
        row.id: row
        for row in session.scalars(select(model).where(among(session, model.id, wanted)))
    }


def _claim_one(
    *,
    session: Session,
    channel: Channel,
    message: Message,
    facts: Facts | None,
    settings: Settings,
    now: datetime,
) -> Composed | Outcome:
    if message.not_before is not None and message.not_before > now:
        return Outcome.NOT_DUE
    person = facts.participant if facts is not None else None
    reason = unwanted(
        message=message,
        participant=person,
        has_address=facts is not None and channel.has_address(facts.participant, facts.rows),
        channel_is_on=facts is not None and channel_on(message.channel, facts.rows),
        invitation=facts.invitation if facts is not None else None,
        event=facts.event if facts is not None else None,
        keeps_calendar=channel.keeps_calendar,
        now=now,
    )
    if reason is not None:
        _finish(message, status=MessageStatus.SKIPPED, code=None, reason=reason, now=now)
        if reason == CHANNEL_OFF:
            # Before the seat is looked at: the fallback keeps the invitation alive.
            plan_fallback(session=session, message=message)
        if reason in PERSON_GONE:
            # Nobody will ever receive this invitation: its seat goes to the waitlist now.
            _close_invitation(session=session, message=message, reason=reason, settings=settings)
        log.info(
            "message skipped",
            extra={"message_id": str(message.id), "channel": channel.channel, "reason": reason},
        )
        return Outcome.SKIPPED
    assert facts is not None  # `unwanted` refuses a message without its person
    if message.attempts >= channel.max_attempts(settings):
        give_up(
            session=session,
            message=message,
            code=message.error_code,
            reason=f"gave up after {message.attempts} attempts",
            now=now,
            settings=settings,
        )
        return Outcome.FAILED
    if channel.quiet_hours and message.purpose not in ANSWERS:
        until = quiet_until(
            now,
            timezone=facts.timezone,
            start=settings.quiet_hours_start,
            end=settings.quiet_hours_end,
        )
        if until is not None:
            message.not_before = until
            message.updated_at = now
            log.info(
                "message waits for the end of quiet hours",
                extra={"message_id": str(message.id), "not_before": until.isoformat()},
            )
            return Outcome.QUIET
    try:
        return channel.compose(message=message, facts=facts, settings=settings, now=now)
    except PermanentProviderError as error:
        # A message that cannot be built (an address the library cannot write) will not
        # improve with time; one the channel cannot carry (no approved template) may go on
        # the next channel.
        give_up(
            session=session,
            message=message,
            code=error.code,
            reason=error.reason,
            now=now,
            settings=settings,
            falls_back=error.falls_back,
        )
        return Outcome.FAILED


# ----------------------------------------------------------------------------- 2. pace, send

#: Most provider calls at once in one worker process, whatever the channel asks for.
MAX_SEND_THREADS = 16
#: The threads that make provider calls, started once per process rather than per chunk
#: (starting eight threads costs more than the chunk's calls on a busy machine).
_senders: PerProcess[ThreadPoolExecutor] = PerProcess(
    lambda: ThreadPoolExecutor(max_workers=MAX_SEND_THREADS, thread_name_prefix="send")
)


@dataclass(frozen=True, slots=True)
class _Result:
    claimed: Claimed
    receipt: SentMessage | None = None
    error: PermanentProviderError | TemporaryProviderError | None = None
    in_doubt: bool = False
    paced_out: bool = False
    at: datetime | None = None


def _send_all(
    *,
    claimed: Sequence[Claimed],
    channel: Channel,
    pacer: Pacer,
    transaction: Transaction,
    clock: Callable[[], datetime],
) -> list[_Result]:
    """Call the provider once per claimed message, a few at a time, each after its token."""
    todo: queue.SimpleQueue[Claimed] = queue.SimpleQueue()
    for item in claimed:
        todo.put(item)
    paced_out = threading.Event()
    results: list[_Result] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            if paced_out.is_set() or (
                channel.paced and not pacer.acquire(timeout=PACING_WAIT_SECONDS)
            ):
                paced_out.set()
                result = _Result(claimed=item, paced_out=True)
            else:
                result = _call(item, channel=channel, transaction=transaction, clock=clock)
            with lock:
                results.append(result)

    order = {item.message_id: position for position, item in enumerate(claimed)}
    workers = max(1, min(channel.concurrency, len(claimed)))
    if workers == 1:
        work()
    else:
        pool = _senders.get()
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()
    results.sort(key=lambda result: order[result.claimed.message_id])
    return results


def _call(
    item: Claimed, *, channel: Channel, transaction: Transaction, clock: Callable[[], datetime]
) -> _Result:
    def handing_over() -> None:
        # The record of the hand-over, committed before the point of no return, is what the
        # sweeper goes by for a channel whose provider cannot be asked (SMTP).
        with transaction() as session:
            session.execute(
                update(Message)
                .where(
                    Message.id == item.message_id,
                    Message.status == MessageStatus.SENDING,
                    Message.attempts == item.attempts,
                )
                .values(sent_at=clock())
                .execution_options(synchronize_session=False)
            )

    try:
        receipt = channel.send(item.composed, handing_over=handing_over, now=clock())
    except PermanentProviderError as error:
        return _Result(claimed=item, error=error)
    except TemporaryProviderError as error:
        if error.may_have_been_sent:
            # Sending again could deliver it twice; the sweeper asks the provider instead.
            log.warning(
                "send outcome unknown; left for the sweeper",
                extra={"message_id": str(item.message_id), "reason": error.reason},
            )
            return _Result(claimed=item, in_doubt=True)
        return _Result(claimed=item, error=error)
    except Exception:
        # Unexpected: whether the request left is unknown, so the row stays `sending` and the
        # sweeper settles it. Logged with its type and frames, never its text.
        log.exception(
            "send crashed; left for the sweeper", extra={"message_id": str(item.message_id)}
        )
        return _Result(claimed=item, in_doubt=True)
    return _Result(claimed=item, receipt=receipt, at=clock())


# ----------------------------------------------------------------------------- 3. record


def record_results(
    *,
    session: Session,
    channel: Channel,
    results: Sequence[_Result],
    settings: Settings,
    now: datetime,
) -> Counter[Outcome]:
    """Record what the provider calls said, for the whole chunk; the caller commits."""
    outcomes: Counter[Outcome] = Counter()
    receipts = [r for r in results if r.receipt is not None]
    outcomes[Outcome.SENT] += record_receipts(
        session=session,
        channel=channel,
        receipts=[
            (r.claimed.message_id, r.claimed.attempts, r.receipt, r.at or now)
            for r in receipts
            if r.receipt
        ],
        settings=settings,
    )
    given_back = [r.claimed for r in results if r.paced_out]
    if given_back:
        give_back(session=session, channel=channel, claimed=given_back, now=now)
        outcomes[Outcome.PACED_OUT] += len(given_back)
    for result in results:
        if result.in_doubt:
            outcomes[Outcome.IN_DOUBT] += 1
        elif isinstance(result.error, PermanentProviderError):
            outcomes[
                record_refusal(
                    session=session,
                    channel=channel,
                    message_id=result.claimed.message_id,
                    attempts=result.claimed.attempts,
                    error=result.error,
                    now=now,
                    settings=settings,
                )
            ] += 1
        elif isinstance(result.error, TemporaryProviderError):
            outcomes[
                record_temporary_failure(
                    session=session,
                    channel=channel,
                    message_id=result.claimed.message_id,
                    attempts=result.claimed.attempts,
                    error=result.error,
                    now=now,
                    settings=settings,
                )
            ] += 1
    return outcomes


def record_receipts(
    *,
    session: Session,
    channel: Channel,
    receipts: Sequence[tuple[uuid.UUID, int, SentMessage, datetime]],
    settings: Settings,
) -> int:
    """The provider has these messages: their ids and first statuses in one statement, and
    their invitations marked sent. Only rows still in the attempt that sent them change."""
    if not receipts:
        return 0
    live = {
        message_id: (purpose, invitation_id, tries)
        for message_id, purpose, invitation_id, tries in session.execute(
            select(Message.id, Message.purpose, Message.invitation_id, Message.attempts)
            .where(
                among(session, Message.id, [message_id for message_id, *_ in receipts]),
                Message.status == MessageStatus.SENDING,
            )
            .with_for_update(of=Message)
        )
    }
    rows = [
        {
            "id": message_id,
            "attempts": tries,
            "provider_sid": receipt.sid,
            "status": channel.receipt_status(receipt),
            "sent_at": at,
            "segments": receipt.segments,
            "updated_at": at,
        }
        for message_id, tries, receipt, at in receipts
        if message_id in live and live[message_id][2] == tries
    ]
    stale = len(receipts) - len(rows)
    if stale:
        log.warning("receipts for messages no longer in flight", extra={"count": stale})
    if not rows:
        return 0
    log.info("handed to the provider", extra={"channel": channel.channel, "count": len(rows)})
    table = cast(Table, Message.__table__)
    update_rows(
        session,
        table,
        rows,
        keys=["id", "attempts"],
        values=lambda p: {
            "provider_sid": p("provider_sid"),
            "status": p("status"),
            "sent_at": p("sent_at"),
            # The provider's count is what is billed; ours stays where it gave none.
            "segments": func.coalesce(p("segments"), table.c.segments),
            "error_code": None,
            "error_reason": None,
            "not_before": None,
            "updated_at": p("updated_at"),
        },
    )
    sent = {
        message_id: at
        for message_id, tries, _, at in receipts
        if message_id in live and live[message_id][2] == tries
    }
    _mark_invitations_sent(
        session=session,
        invitations={
            invitation_id: sent[message_id]
            for message_id, (purpose, invitation_id, _) in live.items()
            if message_id in sent
            and purpose == MessagePurpose.INVITATION
            and invitation_id is not None
        },
        settings=settings,
    )
    return len(rows)


def _mark_invitations_sent(
    *, session: Session, invitations: dict[uuid.UUID, datetime], settings: Settings
) -> None:
    """Planned invitations whose message went out are sent, with their answer deadline."""
    if not invitations:
        return
    rows = session.execute(
        select(Invitation.id, Event)
        .join(Event, Invitation.event_id == Event.id)
        .where(
            among(session, Invitation.id, invitations),
            # Answered, withdrawn or closed meanwhile: that decision stands.
            Invitation.status == InvitationStatus.PLANNED,
        )
        .with_for_update(of=Invitation)
    ).all()
    if not rows:
        return
    # One statement for the chunk: the rows are locked above, so none changes in between.
    table = cast(Table, Invitation.__table__)
    update_rows(
        session,
        table,
        [
            {
                "id": invitation_id,
                "sent_at": invitations[invitation_id],
                "expires_at": deadline_for(
                    event=event, sent_at=invitations[invitation_id], settings=settings
                ),
            }
            for invitation_id, event in rows
        ],
        keys=["id"],
        where=lambda _: [table.c.status == InvitationStatus.PLANNED],
        values=lambda p: {
            "status": InvitationStatus.SENT,
            "sent_at": p("sent_at"),
            "expires_at": p("expires_at"),
            "updated_at": p("sent_at"),
        },
    )


def _locked_in_flight(session: Session, message_id: uuid.UUID, attempts: int) -> Message | None:
    """The message, locked, if it is still in the attempt this worker made; else None."""
    message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    if (
        message is None
        or message.status is not MessageStatus.SENDING
        or message.attempts != attempts
    ):
        log.warning(
            "outcome for a message no longer in flight", extra={"message_id": str(message_id)}
        )
        return None
    return message


def record_refusal(
    *,
    session: Session,
    channel: Channel,
    message_id: uuid.UUID,
    attempts: int,
    error: PermanentProviderError,
    now: datetime,
    settings: Settings,
) -> Outcome:
    """The provider refused the message for good: give it up, then let the channel say what
    the refusal means beyond it."""
    message = _locked_in_flight(session, message_id, attempts)
    if message is None:
        return Outcome.NOT_PLANNED
    give_up(
        session=session,
        message=message,
        code=error.code,
        reason=error.reason,
        now=now,
        settings=settings,
        falls_back=error.falls_back,
    )
    # After giving up, so the refused invitation reads as failed.
    channel.after_refusal(session=session, message=message, error=error, now=now, settings=settings)
    return Outcome.FAILED


def record_temporary_failure(
    *,
    session: Session,
    channel: Channel,
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
    if message.attempts >= channel.max_attempts(settings):
        give_up(
            session=session,
            message=message,
            code=error.code,
            reason=f"gave up after {message.attempts} attempts: {error.reason}",
            now=now,
            settings=settings,
        )
        return Outcome.FAILED
    first, cap = channel.backoff()
    delay = retry_delay(message.attempts, first=first, cap=cap)
    if error.retry_after is not None:
        delay = max(delay, error.retry_after)
    message.status = MessageStatus.PLANNED
    message.not_before = now + delay
    message.sent_at = None
    message.error_code = error.code[:20] if error.code else None
    message.error_reason = error.reason[:300]
    message.updated_at = now
    log.info(
        "message will be retried",
        extra={
            "message_id": str(message_id),
            "attempts": message.attempts,
            "code": error.code,
            "retry_in_seconds": round(delay.total_seconds()),
        },
    )
    return Outcome.RETRY


def give_up(
    *,
    session: Session,
    message: Message,
    code: str | None,
    reason: str,
    now: datetime,
    settings: Settings,
    falls_back: bool = False,
) -> None:
    """The message will not be sent: mark it failed and, if it was the invitation's last
    hope, free the invitation's seat.

    `falls_back`: the refusal was the channel's, so the message is first planned once on the
    person's next channel (`plan_fallback`), which keeps the seat theirs."""
    _finish(message, status=MessageStatus.FAILED, code=code, reason=reason, now=now)
    if falls_back:
        plan_fallback(session=session, message=message)
    _close_invitation(
        session=session,
        message=message,
        reason=f"the invitation {_LABELS.get(message.channel, message.channel)} could not be "
        f"sent: {reason}",
        settings=settings,
    )
    log.warning(
        "message failed", extra={"message_id": str(message.id), "code": code, "reason": reason}
    )


#: How a coordinator reads a channel's name in an invitation's closing reason.
_LABELS = {
    MessageChannel.SMS: "SMS",
    MessageChannel.EMAIL: "e-mail",
    MessageChannel.TELEGRAM: "Telegram",
}

#: Statuses of a message that may still reach, or has reached, the person.
_ALIVE = (
    MessageStatus.PLANNED,
    MessageStatus.SENDING,
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
)


def _close_invitation(
    *, session: Session, message: Message, reason: str, settings: Settings
) -> None:
    if message.purpose != MessagePurpose.INVITATION or message.invitation_id is None:
        return
    session.flush()
    other = exists().where(
        Message.invitation_id == message.invitation_id,
        Message.purpose == MessagePurpose.INVITATION,
        Message.id != message.id,
        Message.status.in_(_ALIVE),
    )
    if session.scalar(select(other)):
        return  # another channel may still reach the person: the seat stays theirs
    # Frees the seat and invites the next person from the waitlist, in this transaction.
    close_unanswered(
        session=session,
        invitation_id=message.invitation_id,
        status=InvitationStatus.FAILED,
        reason=reason,
        over_invite=settings.over_invite_factor,
    )


def _finish(
    message: Message, *, status: MessageStatus, code: str | None, reason: str, now: datetime
) -> None:
    message.status = status
    message.error_code = code[:20] if code else None
    message.error_reason = reason[:300]
    message.not_before = None
    message.updated_at = now


def give_back(
    *, session: Session, channel: Channel, claimed: Sequence[Claimed], now: datetime
) -> None:
    """No token came in time: these were not sent, so they are planned again, unchanged, and
    go back to the queue together."""
    table = cast(Table, Message.__table__)
    session.execute(
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == MessageStatus.SENDING,
            table.c.attempts == bindparam("b_attempts"),
        )
        .values(status=MessageStatus.PLANNED, attempts=bindparam("b_before"), updated_at=now),
        [
            {"b_id": item.message_id, "b_attempts": item.attempts, "b_before": item.attempts - 1}
            for item in claimed
        ],
    )
    enqueue(
        session=session,
        payload=CHANNELS[channel.channel].send_task([item.message_id for item in claimed]),
    )
    log.warning("no send token in time; messages queued again", extra={"count": len(claimed)})


# ----------------------------------------------------------------------------- the chunk


def send_chunk(
    *,
    channel: Channel,
    message_ids: Sequence[uuid.UUID],
    transaction: Transaction,
    pacer: Pacer,
    settings: Settings,
    clock: Callable[[], datetime] = utcnow,
) -> Counter[Outcome]:
    """Send a chunk of planned messages of one channel, each at most once; count what
    happened to them."""
    with transaction() as session:
        claim = claim_chunk(
            session=session,
            channel=channel,
            message_ids=message_ids,
            settings=settings,
            now=clock(),
        )
    outcomes: Counter[Outcome] = Counter(claim.outcomes.values())
    if claim.claimed:
        try:
            results = _send_all(
                claimed=claim.claimed,
                channel=channel,
                pacer=pacer,
                transaction=transaction,
                clock=clock,
            )
        finally:
            channel.close()
        with transaction() as session:
            outcomes += record_results(
                session=session, channel=channel, results=results, settings=settings, now=clock()
            )
    log.info(
        "chunk done",
        extra={"channel": channel.channel, "counts": {key.value: n for key, n in outcomes.items()}},
    )
    return outcomes
