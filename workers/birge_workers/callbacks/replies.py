"""Inbound SMS: a participant's answer, an opt-out or opt-in, a request for help, or a note.

What is answered, and why:

- A number that belongs to no participant (or to an erased one) gets no answer and leaves no
  message behind: Birge has no relation with that person and no reason to keep their text.
- Every reply of a known participant is kept as an inbound message, so the coordinator can
  read what people wrote, including what Birge did not understand.
- YES/NO (in ky, ru, en, or 1/2) answers the invitation sent most recently for an upcoming
  event, exactly as the personal link would, and is confirmed by SMS. With nothing to answer,
  the help text explains what Birge understands.
- STOP and its equivalents opt the number out of everything at once, and give the person's
  seats to the waitlist (`birge_shared.departure.opt_out`). Exactly one message
  follows: the opt-out confirmation, as carriers and Twilio's own opt-out handling send one.
  A repeated STOP from a number already opted out gets nothing.
- START opts back in and is confirmed; HELP is always answered, opted out or not, because a
  person must be able to learn how to stop and start again.
- Anything else is answered with a short hint at most once a day, so a conversation with the
  coordinator's number does not turn into a stream of automatic replies.
- While an SMS survey waits for an answer (see `birge_workers.surveys.conversation`), a number
  answers its question, even 1 and 2, and any other text but a keyword or YES/NO gets the
  survey's hint. The reply is then kept without its text: the number is a survey answer, and
  those are stored only under a pseudonym, never next to the person.
- An accepting YES is followed by the pre-survey question, since the YES just showed that
  SMS replies work on this person's route.

An opted-out person's YES or NO still counts (it is their answer, as on the personal link)
but is not confirmed: after STOP they get nothing but the HELP, STOP and START replies.

Replies are only planned here, with a dedupe key per inbound message, and sent by `sms.send`
(queued through the outbox in the same transaction), which renders them in the participant's
language at sending time.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.departure import opt_out
from birge_shared.invitations import (
    Answer,
    RsvpClosedError,
    latest_answerable,
    plan_sms,
    respond,
)
from birge_shared.models import (
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    ProviderCallback,
)
from birge_shared.outbox import enqueue
from birge_shared.sms.keywords import Intent, parse_reply
from birge_shared.surveys import SurveyKind, open_conversation, parse_number
from birge_shared.tasks import SmsSend
from birge_shared.upsert import insert_ignoring_conflict
from birge_workers.surveys.conversation import answer_by_sms, end_if_moot, start_conversation

log = logging.getLogger(__name__)

#: An unrecognised reply is answered with a hint at most this often per participant.
HINT_INTERVAL = timedelta(days=1)

#: The confirmation for the state an answered invitation ended up in.
CONFIRMATIONS: dict[InvitationStatus, str] = {
    InvitationStatus.ACCEPTED: "accepted",
    InvitationStatus.WAITLISTED: "waitlisted",
    InvitationStatus.DECLINED: "declined",
}
_ANSWERS = {Intent.ACCEPT: Answer.ACCEPT, Intent.DECLINE: Answer.DECLINE}


class ReplyOutcome(enum.StrEnum):
    UNKNOWN_SENDER = "unknown_sender"
    ANSWERED = "answered"  # an SMS reply was planned and queued
    KEPT = "kept"  # stored for the coordinator, nothing sent


@dataclass
class _Decision:
    #: The purpose of the SMS to send back, or None for no reply.
    purpose: str | None = None
    #: The invitation the reply answered; set only with a confirmation (or no reply at all).
    invitation_id: uuid.UUID | None = None
    #: The reply answered an SMS survey: kept without its text, logged without its intent.
    survey: bool = False
    #: Survey messages already planned (the next question, a hint, the thanks).
    survey_messages: list[uuid.UUID] = field(default_factory=list)
    #: An accepted invitation whose pre survey is asked next, after the confirmation.
    ask_pre: Invitation | None = None


def reply_dedupe_key(callback_id: int) -> str:
    return f"reply:{callback_id}"


def handle_inbound(
    *,
    session: Session,
    callback: ProviderCallback,
    now: datetime,
    over_invite: float = 1.0,
) -> ReplyOutcome:
    """Act on one inbound SMS and plan its answer; the caller commits."""
    participant = _sender(session, callback.from_hash)
    if participant is None:
        log.info("inbound SMS from an unknown number", extra={"callback_id": callback.id})
        return ReplyOutcome.UNKNOWN_SENDER

    text = get_cipher().decrypt(callback.body_encrypted) if callback.body_encrypted else ""
    intent = parse_reply(text)
    decision = _survey_reply(
        session=session, participant=participant, text=text, intent=intent, now=now
    )
    if decision is None:
        decision = _decide(
            session=session,
            participant=participant,
            intent=intent,
            now=now,
            over_invite=over_invite,
        )
    _keep_inbound(
        session=session,
        callback=callback,
        participant_id=participant.id,
        intent=intent,
        invitation_id=decision.invitation_id,
        survey=decision.survey,
    )
    log.info(
        "inbound SMS understood",
        extra={
            "callback_id": callback.id,
            "participant_id": str(participant.id),
            "intent": "survey" if decision.survey else intent.value,
            "reply": decision.purpose,
        },
    )
    message_ids = list(decision.survey_messages)
    if decision.purpose is not None:
        message_id = plan_sms(
            session=session,
            purpose=decision.purpose,
            participant_id=participant.id,
            # A confirmation names its invitation, so the sender renders it with the event;
            # plain texts (help, opt-out, hint) have none and are rendered without one.
            invitation_id=decision.invitation_id,
            dedupe_key=reply_dedupe_key(callback.id),
        )
        if message_id is not None:
            message_ids.append(message_id)
    if decision.ask_pre is not None:
        # Planned after the confirmation, so it arrives second, in the same chunk.
        message_ids += _ask_pre(session=session, invitation=decision.ask_pre, now=now)
    if message_ids:
        enqueue(session=session, payload=SmsSend(message_ids=message_ids))
    session.flush()
    if decision.purpose is None and not message_ids:
        return ReplyOutcome.KEPT
    return ReplyOutcome.ANSWERED


def _sender(session: Session, from_hash: str | None) -> Participant | None:
    if not from_hash:
        return None
    # Locked: one person's replies are handled one after the other, so two quick unrecognised
    # texts cannot both earn the daily hint, and STOP and START cannot cross.
    return session.scalar(
        select(Participant)
        .where(Participant.phone_hash == from_hash, Participant.erased_at.is_(None))
        .with_for_update()
    )


def _decide(
    *,
    session: Session,
    participant: Participant,
    intent: Intent,
    now: datetime,
    over_invite: float,
) -> _Decision:
    if intent in (Intent.STOP, Intent.START, Intent.HELP):
        return _keyword(
            session=session,
            participant=participant,
            intent=intent,
            now=now,
            over_invite=over_invite,
        )
    if intent in _ANSWERS:
        decision = _answer(
            session=session,
            participant=participant,
            answer=_ANSWERS[intent],
            now=now,
            over_invite=over_invite,
        )
        if participant.opted_out_at is not None:
            return _Decision(invitation_id=decision.invitation_id)
        return decision
    return _hint(participant=participant, now=now)


def _survey_reply(
    *, session: Session, participant: Participant, text: str, intent: Intent, now: datetime
) -> _Decision | None:
    """The reply as an answer to the person's open SMS survey, or None if it is not one."""
    if participant.opted_out_at is not None or intent in (Intent.STOP, Intent.START, Intent.HELP):
        return None
    if intent is not Intent.UNKNOWN and parse_number(text) is None:
        return None  # YES or NO in words answers an invitation, as it always does
    conversation = open_conversation(session, participant_id=participant.id, now=now, lock=True)
    if conversation is None or end_if_moot(session=session, conversation=conversation, now=now):
        return None
    planned = answer_by_sms(
        session=session, conversation=conversation, participant=participant, text=text, now=now
    )
    return _Decision(invitation_id=conversation.invitation_id, survey=True, survey_messages=planned)


def _ask_pre(*, session: Session, invitation: Invitation, now: datetime) -> list[uuid.UUID]:
    event = session.get(Event, invitation.event_id)
    assert event is not None  # the invitation's foreign key
    # The pre answer must come before the contact: the conversation ends at the start.
    return start_conversation(
        session=session, invitation=invitation, kind=SurveyKind.PRE, now=now, until=event.starts_at
    )


def _keyword(
    *, session: Session, participant: Participant, intent: Intent, now: datetime, over_invite: float
) -> _Decision:
    if intent is Intent.STOP:
        if participant.opted_out_at is not None:
            return _Decision()
        # Every row of this phone number, its seats and its pending messages (see departure).
        opt_out(
            session=session, phone_hash=participant.phone_hash, now=now, over_invite=over_invite
        )
        return _Decision("opted_out")
    if intent is Intent.START:
        participant.opted_out_at = None
        return _Decision("opted_in")
    return _Decision("help")


def _hint(*, participant: Participant, now: datetime) -> _Decision:
    if participant.opted_out_at is not None:
        return _Decision()
    last_hint = participant.reply_hint_sent_at
    if last_hint is not None and now - last_hint < HINT_INTERVAL:
        return _Decision()
    participant.reply_hint_sent_at = now
    return _Decision("reply_hint")


def _answer(
    *,
    session: Session,
    participant: Participant,
    answer: Answer,
    now: datetime,
    over_invite: float,
) -> _Decision:
    invitation = latest_answerable(session, participant.id, now=now)
    if invitation is None:
        return _Decision("help")
    try:
        outcome = respond(
            session=session, invitation_id=invitation.id, answer=answer, over_invite=over_invite
        )
    except RsvpClosedError:
        # The event closed between finding the invitation and locking it.
        return _Decision("help")
    purpose = CONFIRMATIONS.get(outcome.invitation.status)
    accepted = outcome.invitation.status is InvitationStatus.ACCEPTED
    return _Decision(
        purpose,
        invitation_id=outcome.invitation.id,
        ask_pre=outcome.invitation if accepted and participant.opted_out_at is None else None,
    )


def _keep_inbound(
    *,
    session: Session,
    callback: ProviderCallback,
    participant_id: uuid.UUID,
    intent: Intent,
    invitation_id: uuid.UUID | None,
    survey: bool = False,
) -> None:
    # Insert-or-nothing on the provider's sid: the callback row is locked and processed once,
    # but a message already stored must never make the callback fail for good.
    insert_ignoring_conflict(
        session,
        Message,
        {
            "id": uuid.uuid4(),
            "direction": MessageDirection.INBOUND,
            "channel": MessageChannel.SMS,
            # A survey answer's intent (1 reads as YES) and text would tell the answer.
            "purpose": "reply:survey" if survey else f"reply:{intent.value}",
            "dedupe_key": callback.dedupe_key,
            "invitation_id": invitation_id,
            "participant_id": participant_id,
            "provider_sid": callback.message_sid,
            "status": MessageStatus.RECEIVED,
            "body_encrypted": None if survey else callback.body_encrypted,
            "attempts": 0,
            "created_at": callback.received_at,
            "updated_at": callback.received_at,
        },
    )
