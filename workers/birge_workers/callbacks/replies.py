"""Inbound SMS and WhatsApp: a participant's answer, an opt-out or opt-in, a request for help,
or a note.

A reply answers the question it replies to. The question is the most recent SMS that asked
this number something: an invitation, a reminder or change notice of it (answered YES or NO),
or a survey question or survey link (answered on the survey's scale). Every participant row
with the number counts (a person registered in two cities is two rows): the reply goes to the
row and invitation the latest question was about, never to an older question.

What is answered, and why:

- A number that belongs to no participant (or to an erased one) gets no answer. Its text is
  kept, encrypted and without the number, for administrators only (no city can be told), and
  purged with every other inbound text.
- Every reply of a known participant is kept as an inbound message, so the coordinator can
  read what people wrote; what Birge did not understand and opt-outs are listed in the inbox.
- YES/NO (in ky, ru, en, 1/2, OK, with a few words around them) to an invitation question
  answers that invitation, exactly as the personal link would, and is confirmed by SMS naming
  the event. When another invitation still waits for an answer, one more SMS gives its link.
  An invitation whose event has started, ended or was cancelled is never changed: the help
  text answers instead.
- A survey question takes its number, and a yes/no question its YES or NO in words too. A
  reply to a post-event survey never touches an invitation; a YES or NO in words to the pre
  survey's 1-5 question is about the invitation just accepted, and answers it.
- STOP and its equivalents, in people's own words, opt the number (every row of it) out of
  everything at once and give their seats to the waitlist (`birge_shared.departure.opt_out`).
  Exactly one message follows: the opt-out confirmation, as carriers and Twilio's own opt-out
  handling send one. A repeated STOP from a number opted out gets nothing.
- START opts back in and is confirmed; HELP is always answered, opted out or not, because a
  person must be able to learn how to stop and start again.
- Anything else is answered with a short hint (naming YES, NO and STOP) at most once a day, so
  a conversation with the coordinator's number does not turn into a stream of automatic
  replies.
- A survey reply is kept without its text: the number is a survey answer, and those are
  stored only under a pseudonym, never next to the person; a word that is not an answer may
  say the answer too, so it is not kept either.
- An accepting YES is followed by the pre-survey question, since the YES just showed that
  SMS replies work on this person's route.

An opted-out person's YES or NO still counts (it is their answer, as on the personal link)
but is not confirmed: after STOP they get nothing but the HELP, STOP and START replies.

Replies are only planned here, with a dedupe key per inbound message, and sent by the send
task of the channel the message came by (queued through the outbox in the same transaction),
which renders them in the participant's language at sending time.

A WhatsApp message (Twilio posts it to the same webhook, from `whatsapp:+…`) is matched to the
person by its number as an SMS is, and opens their 24-hour session window
(`participant_channel.last_inbound_at`). A tapped quick-reply button answers the question of
the message it was under (`OriginalRepliedMessageSid`): Accept and Decline its invitation, a
survey answer its survey question. A typed reply is read as an SMS reply is, against the latest
question asked on WhatsApp. The answers go back on WhatsApp, inside the window just opened,
the next survey question too. No SMS survey question follows a WhatsApp YES: the participant
page asks it.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.departure import opt_out
from birge_shared.invitations import (
    ANSWERABLE,
    Answer,
    RsvpClosedError,
    latest_answerable,
    respond,
)
from birge_shared.models import Channel as ChannelName
from birge_shared.models import (
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
    ParticipantChannel,
    ProviderCallback,
    SurveyConversation,
)
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.dedupe import KeySubject
from birge_shared.outbound.plan import plan_one
from birge_shared.outbox import enqueue
from birge_shared.settings import get_settings
from birge_shared.sms.keywords import Intent, parse_reply
from birge_shared.surveys import (
    QUESTION_PURPOSES,
    SURVEY_HINT,
    SURVEY_POST,
    SURVEY_REMINDER,
    SURVEY_REPLIES,
    SurveyKind,
)
from birge_shared.upsert import insert_ignoring_conflict
from birge_shared.whatsapp_templates import BUTTON_INTENTS
from birge_workers.surveys.conversation import (
    answer_reply,
    current_question,
    end_if_moot,
    start_conversation,
    survey_answer,
)

log = logging.getLogger(__name__)

#: An unrecognised reply is answered with a hint at most this often per number.
HINT_INTERVAL = timedelta(days=1)

#: The confirmation for the state an answered invitation ended up in.
CONFIRMATIONS: dict[InvitationStatus, MessagePurpose] = {
    InvitationStatus.ACCEPTED: MessagePurpose.ACCEPTED,
    InvitationStatus.WAITLISTED: MessagePurpose.WAITLISTED,
    InvitationStatus.DECLINED: MessagePurpose.DECLINED,
}
#: After a confirmation: another invitation still waits for this person's answer (its link).
INVITATION_WAITING = MessagePurpose.INVITATION_WAITING
_ANSWERS = {Intent.ACCEPT: Answer.ACCEPT, Intent.DECLINE: Answer.DECLINE}

#: Texts that ask about an invitation: YES or NO answers them.
INVITATION_QUESTIONS = frozenset(
    {MessagePurpose.INVITATION, MessagePurpose.REMINDER, MessagePurpose.EVENT_CHANGED}
)
#: Texts that ask about a survey: its SMS questions and hint, and the links to its page.
SURVEY_QUESTIONS = frozenset(
    {*QUESTION_PURPOSES.values(), SURVEY_HINT, SURVEY_POST, SURVEY_REMINDER}
)
#: A text the person may have read: handed to the provider. Replies (the next survey
#: question) go at once, so one planned a moment ago counts too; an invitation still planned
#: (paced, held for quiet hours or for approval) has asked nothing yet.
_HANDED_OVER = (
    MessageStatus.SENDING,
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
)

#: Kept inbound purposes the coordinator's inbox lists.
NOT_UNDERSTOOD = MessagePurpose.REPLY_UNKNOWN
OPTED_OUT = MessagePurpose.REPLY_STOP
UNMATCHED = MessagePurpose.REPLY_UNMATCHED


class ReplyOutcome(enum.StrEnum):
    UNKNOWN_SENDER = "unknown_sender"
    ANSWERED = "answered"  # an SMS reply was planned and queued
    KEPT = "kept"  # stored for the coordinator, nothing sent


@dataclass(frozen=True)
class Asked:
    """The latest question sent to a number: about which invitation, of which row, when."""

    invitation_id: uuid.UUID
    participant_id: uuid.UUID
    at: datetime
    survey: bool


@dataclass
class _Decision:
    #: The purpose of the SMS to send back, or None for no reply.
    purpose: MessagePurpose | None = None
    #: The invitation the reply answered; set only with a confirmation (or no reply at all).
    invitation_id: uuid.UUID | None = None
    #: The reply answered an SMS survey: kept without its text, logged without its intent.
    survey: bool = False
    #: Survey messages already planned (the next question, a hint, the thanks).
    survey_messages: list[uuid.UUID] = field(default_factory=list)
    #: An accepted invitation whose pre survey is asked next, after the confirmation.
    ask_pre: Invitation | None = None
    #: The reply was about an invitation: another one still waiting gets its link sent.
    about_invitation: bool = False


def handle_inbound(
    *,
    session: Session,
    callback: ProviderCallback,
    now: datetime,
    over_invite: float = 1.0,
) -> ReplyOutcome:
    """Act on one inbound SMS or WhatsApp message and plan its answer; the caller commits."""
    channel = (
        MessageChannel.WHATSAPP
        if callback.channel == MessageChannel.WHATSAPP.value
        else MessageChannel.SMS
    )
    people = _senders(session, callback.from_hash)
    if not people:
        log.info("inbound message from an unknown number", extra={"callback_id": callback.id})
        _keep_inbound(
            session=session,
            callback=callback,
            participant_id=None,
            purpose=UNMATCHED,
            channel=channel,
        )
        session.flush()
        return ReplyOutcome.UNKNOWN_SENDER

    text = get_cipher().decrypt(callback.body_encrypted) if callback.body_encrypted else ""
    ids = [person.id for person in people]
    asked: Asked | None = None
    intent: Intent | None = None
    if channel is MessageChannel.WHATSAPP:
        opened_window(session, ids, at=callback.received_at)
        if callback.button_payload:
            # A button's id is the answer (its label is only what the person saw): Accept,
            # Decline, or a survey answer's number.
            text = callback.button_payload
            intent = BUTTON_INTENTS.get(text)
        if callback.replied_sid:
            # It answers the message it was under, whatever was asked since.
            asked = question_replied_to(session, ids, sid=callback.replied_sid)
    intent = intent or parse_reply(text)
    if asked is None:
        asked = last_question(session, ids, now=now, channel=channel)
    participant = _asked_row(people, asked)
    if intent in (Intent.STOP, Intent.START, Intent.HELP):
        decision = _keyword_for_number(
            session=session,
            people=people,
            participant=participant,
            intent=intent,
            now=now,
            over_invite=over_invite,
        )
    else:
        decision = _reply_to(
            session=session,
            people=people,
            participant=participant,
            asked=asked,
            text=text,
            intent=intent,
            now=now,
            over_invite=over_invite,
            channel=channel,
        )
    _keep_inbound(
        session=session,
        callback=callback,
        participant_id=participant.id,
        purpose=MessagePurpose.REPLY_SURVEY
        if decision.survey
        else MessagePurpose(f"reply:{intent.value}"),
        invitation_id=decision.invitation_id,
        keep_text=not decision.survey,
        channel=channel,
    )
    log.info(
        "inbound message understood",
        extra={
            "callback_id": callback.id,
            "participant_id": str(participant.id),
            "intent": "survey" if decision.survey else intent.value,
            "reply": decision.purpose,
        },
    )
    message_ids = list(decision.survey_messages)
    if decision.purpose is not None:
        message_id = plan_one(
            session=session,
            purpose=decision.purpose,
            participant_id=participant.id,
            # A confirmation names its invitation, so the sender renders it with the event;
            # plain texts (help, opt-out, hint) have none and are rendered without one.
            invitation_id=decision.invitation_id,
            # One answer per text received, on the channel it came by.
            subject=KeySubject.REPLY,
            subject_id=str(callback.id),
            channel=channel,
        )
        if message_id is not None:
            message_ids.append(message_id)
    if decision.about_invitation and decision.purpose is not None:
        message_ids += _also_waiting(
            session=session,
            people=people,
            answered=decision.invitation_id,
            callback=callback,
            now=now,
            channel=channel,
        )
    # Without replies (SMS_TWO_WAY=false) no survey is asked by SMS: the page asks it. Nor
    # after a WhatsApp answer, which says nothing of whether SMS replies work.
    if (
        decision.ask_pre is not None
        and channel is MessageChannel.SMS
        and get_settings().sms_replies
    ):
        # Planned after the confirmation, so it arrives last, in the same chunk.
        message_ids += _ask_pre(session=session, invitation=decision.ask_pre, now=now)
    _queue(session, message_ids)
    session.flush()
    if decision.purpose is None and not message_ids:
        return ReplyOutcome.KEPT
    return ReplyOutcome.ANSWERED


def _queue(session: Session, message_ids: list[uuid.UUID]) -> None:
    """The send tasks of the planned answers, by the channel each was planned on (a WhatsApp
    confirmation, the next SMS survey question)."""
    if not message_ids:
        return
    channels: dict[uuid.UUID, MessageChannel] = {
        row.id: row.channel
        for row in session.execute(
            select(Message.id, Message.channel).where(Message.id.in_(message_ids))
        )
    }
    by_channel: dict[MessageChannel, list[uuid.UUID]] = {}
    for message_id in message_ids:  # in planning order: the confirmation before what follows
        by_channel.setdefault(channels[message_id], []).append(message_id)
    for channel, ids in by_channel.items():
        enqueue(session=session, payload=CHANNELS[channel].send_task(ids))


def opened_window(session: Session, participant_ids: Sequence[uuid.UUID], *, at: datetime) -> None:
    """The person wrote on WhatsApp: their 24-hour window runs from now (every row of the
    number; never moved back by a message that arrives late)."""
    rows = session.scalars(
        select(ParticipantChannel)
        .where(
            ParticipantChannel.participant_id.in_(participant_ids),
            ParticipantChannel.channel == ChannelName.WHATSAPP,
        )
        .with_for_update()
    )
    for row in rows:
        if row.last_inbound_at is None or row.last_inbound_at < at:
            row.last_inbound_at = at


def question_replied_to(
    session: Session, participant_ids: Sequence[uuid.UUID], *, sid: str
) -> Asked | None:
    """The question of the message a WhatsApp button was under, if it was one of ours to
    these rows about an invitation."""
    found = session.execute(
        select(
            Message.invitation_id,
            Message.participant_id,
            Message.purpose,
            func.coalesce(Message.sent_at, Message.created_at),
        ).where(
            Message.provider_sid == sid,
            Message.direction == MessageDirection.OUTBOUND,
            Message.participant_id.in_(participant_ids),
            Message.purpose.in_(INVITATION_QUESTIONS | SURVEY_QUESTIONS),
        )
    ).first()
    if found is None or found[0] is None or found[1] is None:
        return None
    return Asked(
        invitation_id=found[0],
        participant_id=found[1],
        at=found[3],
        survey=found[2] in SURVEY_QUESTIONS,
    )


def _senders(session: Session, from_hash: str | None) -> list[Participant]:
    """Every participant row with this number (one per city at most), erased ones aside."""
    if not from_hash:
        return []
    # Locked, in a fixed order: one number's replies are handled one after the other, so two
    # quick unrecognised texts cannot both earn the daily hint, and STOP and START cannot cross.
    return list(
        session.scalars(
            select(Participant)
            .where(Participant.phone_hash == from_hash, Participant.erased_at.is_(None))
            .order_by(Participant.id)
            .with_for_update()
        )
    )


def last_question(
    session: Session,
    participant_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
    channel: MessageChannel = MessageChannel.SMS,
) -> Asked | None:
    """The most recent message on `channel` that asked one of these rows something, or None
    if none did."""
    moment = func.coalesce(Message.sent_at, Message.created_at)
    message = session.execute(
        select(Message.invitation_id, Message.participant_id, Message.purpose, moment)
        .where(
            Message.participant_id.in_(participant_ids),
            Message.direction == MessageDirection.OUTBOUND,
            Message.channel == channel,
            Message.invitation_id.is_not(None),
            Message.purpose.in_(INVITATION_QUESTIONS | SURVEY_QUESTIONS),
            or_(
                Message.status.in_(_HANDED_OVER),
                and_(
                    Message.status == MessageStatus.PLANNED,
                    Message.purpose.in_(SURVEY_REPLIES),
                    Message.created_at <= now,
                ),
            ),
        )
        .order_by(moment.desc(), Message.created_at.desc())
        .limit(1)
    ).first()
    # The invitation itself, as it was handed over (its SMS may be gone with retention).
    invitation = session.execute(
        select(Invitation.id, Invitation.participant_id, Invitation.sent_at)
        .where(Invitation.participant_id.in_(participant_ids), Invitation.sent_at.is_not(None))
        .order_by(Invitation.sent_at.desc(), Invitation.id)
        .limit(1)
    ).first()
    found: list[Asked] = []
    if message is not None and message[0] is not None and message[1] is not None:
        found.append(
            Asked(
                invitation_id=message[0],
                participant_id=message[1],
                at=message[3],
                survey=message[2] in SURVEY_QUESTIONS,
            )
        )
    if invitation is not None and invitation[2] is not None:
        found.append(
            Asked(
                invitation_id=invitation[0],
                participant_id=invitation[1],
                at=invitation[2],
                survey=False,
            )
        )
    # On a tie the message (first in the list) wins: it follows up the invitation.
    return max(found, key=lambda asked: asked.at, default=None)


def _asked_row(people: list[Participant], asked: Asked | None) -> Participant:
    if asked is not None:
        for person in people:
            if person.id == asked.participant_id:
                return person
    # Nothing asked yet: the row registered last stands for the number.
    return max(people, key=lambda person: (person.created_at, person.id))


def _keyword_for_number(
    *,
    session: Session,
    people: list[Participant],
    participant: Participant,
    intent: Intent,
    now: datetime,
    over_invite: float,
) -> _Decision:
    """STOP and START hold for the number: every row of it; one confirmation at most."""
    decision = _keyword(
        session=session, participant=participant, intent=intent, now=now, over_invite=over_invite
    )
    for other in people:
        if other is participant or intent is Intent.HELP:
            continue
        also = _keyword(
            session=session, participant=other, intent=intent, now=now, over_invite=over_invite
        )
        if decision.purpose is None:
            decision = also
    return decision


def _reply_to(
    *,
    session: Session,
    people: list[Participant],
    participant: Participant,
    asked: Asked | None,
    text: str,
    intent: Intent,
    now: datetime,
    over_invite: float,
    channel: MessageChannel,
) -> _Decision:
    if asked is None:
        return _nothing_to_answer(people=people, participant=participant, intent=intent, now=now)
    if asked.survey:
        return _survey_reply(
            session=session,
            people=people,
            participant=participant,
            invitation_id=asked.invitation_id,
            text=text,
            intent=intent,
            now=now,
            over_invite=over_invite,
            channel=channel,
        )
    return _invitation_reply(
        session=session,
        people=people,
        participant=participant,
        invitation_id=asked.invitation_id,
        intent=intent,
        now=now,
        over_invite=over_invite,
    )


def _survey_reply(
    *,
    session: Session,
    people: list[Participant],
    participant: Participant,
    invitation_id: uuid.UUID,
    text: str,
    intent: Intent,
    now: datetime,
    over_invite: float,
    channel: MessageChannel,
) -> _Decision:
    """The reply to a survey question (or link) of this invitation."""
    conversation = session.scalar(
        select(SurveyConversation)
        .where(SurveyConversation.invitation_id == invitation_id)
        .order_by(SurveyConversation.started_at.desc(), SurveyConversation.id)
        .limit(1)
        .with_for_update()
    )
    # The pre survey belongs to an invitation still to come; a link alone is the post survey.
    pre = conversation is not None and conversation.kind == SurveyKind.PRE.value
    is_open = (
        conversation is not None
        and conversation.finished_at is None
        and conversation.expires_at > now
        and participant.opted_out_at is None
        and not end_if_moot(session=session, conversation=conversation, now=now)
    )
    if is_open:
        assert conversation is not None  # for mypy: is_open says so
        fits = survey_answer(current_question(conversation), text) is not None
        if fits or not pre or intent not in _ANSWERS:
            planned = answer_reply(
                session=session,
                conversation=conversation,
                participant=participant,
                text=text,
                now=now,
                channel=channel,
            )
            return _Decision(invitation_id=invitation_id, survey=True, survey_messages=planned)
    if pre:
        # YES or NO in words after the pre question: about the invitation just accepted.
        return _invitation_reply(
            session=session,
            people=people,
            participant=participant,
            invitation_id=invitation_id,
            intent=intent,
            now=now,
            over_invite=over_invite,
        )
    # A post survey over (or answered on its page): nothing to answer, and no invitation.
    return _nothing_to_answer(people=people, participant=participant, intent=intent, now=now)


def _invitation_reply(
    *,
    session: Session,
    people: list[Participant],
    participant: Participant,
    invitation_id: uuid.UUID,
    intent: Intent,
    now: datetime,
    over_invite: float,
) -> _Decision:
    if intent not in _ANSWERS:
        return _hint(people=people, participant=participant, now=now)
    decision = _answer(
        session=session,
        participant=participant,
        invitation_id=invitation_id,
        answer=_ANSWERS[intent],
        now=now,
        over_invite=over_invite,
    )
    if participant.opted_out_at is not None:
        return _Decision(invitation_id=decision.invitation_id)
    return decision


def _nothing_to_answer(
    *, people: list[Participant], participant: Participant, intent: Intent, now: datetime
) -> _Decision:
    if intent in _ANSWERS:
        return _Decision(MessagePurpose.HELP) if participant.opted_out_at is None else _Decision()
    return _hint(people=people, participant=participant, now=now)


def _ask_pre(*, session: Session, invitation: Invitation, now: datetime) -> list[uuid.UUID]:
    event = session.get(Event, invitation.event_id)
    assert event is not None  # the invitation's foreign key
    # The pre answer must come before the contact: the conversation ends at the start.
    return start_conversation(
        session=session, invitation=invitation, kind=SurveyKind.PRE, now=now, until=event.starts_at
    )


def _also_waiting(
    *,
    session: Session,
    people: list[Participant],
    answered: uuid.UUID | None,
    callback: ProviderCallback,
    now: datetime,
    channel: MessageChannel,
) -> list[uuid.UUID]:
    """The link of the latest other invitation still waiting for an answer, if there is one."""
    waiting = latest_answerable(
        session,
        [person.id for person in people if person.opted_out_at is None],
        now=now,
        statuses=(InvitationStatus.SENT,),
        exclude=answered,
    )
    if waiting is None:
        return []
    message_id = plan_one(
        session=session,
        purpose=INVITATION_WAITING,
        participant_id=waiting.participant_id,
        invitation_id=waiting.id,
        subject=KeySubject.REPLY,
        subject_id=str(callback.id),
        channel=channel,
    )
    return [message_id] if message_id is not None else []


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
        return _Decision(MessagePurpose.OPTED_OUT)
    if intent is Intent.START:
        participant.opted_out_at = None
        return _Decision(MessagePurpose.OPTED_IN)
    return _Decision(MessagePurpose.HELP)


def _hint(*, people: list[Participant], participant: Participant, now: datetime) -> _Decision:
    if participant.opted_out_at is not None:
        return _Decision()
    hinted = [person.reply_hint_sent_at for person in people if person.reply_hint_sent_at]
    if hinted and now - max(hinted) < HINT_INTERVAL:
        return _Decision()
    participant.reply_hint_sent_at = now
    return _Decision(MessagePurpose.REPLY_HINT)


def _answer(
    *,
    session: Session,
    participant: Participant,
    invitation_id: uuid.UUID,
    answer: Answer,
    now: datetime,
    over_invite: float,
) -> _Decision:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or not _still_open(session, invitation, now):
        # The event has started, ended or was cancelled: an SMS never changes it any more.
        return _Decision(MessagePurpose.HELP, about_invitation=True)
    try:
        outcome = respond(
            session=session, invitation_id=invitation.id, answer=answer, over_invite=over_invite
        )
    except RsvpClosedError:
        # The event closed between finding the invitation and locking it.
        return _Decision(MessagePurpose.HELP, about_invitation=True)
    purpose = CONFIRMATIONS.get(outcome.invitation.status)
    accepted = outcome.invitation.status is InvitationStatus.ACCEPTED
    return _Decision(
        purpose,
        invitation_id=outcome.invitation.id,
        ask_pre=outcome.invitation if accepted and participant.opted_out_at is None else None,
        about_invitation=True,
    )


def _still_open(session: Session, invitation: Invitation, now: datetime) -> bool:
    event = session.get(Event, invitation.event_id)
    assert event is not None  # the invitation's foreign key
    return (
        invitation.status in ANSWERABLE
        and event.status is EventStatus.SCHEDULED
        and event.starts_at > now
    )


def _keep_inbound(
    *,
    session: Session,
    callback: ProviderCallback,
    participant_id: uuid.UUID | None,
    purpose: MessagePurpose,
    invitation_id: uuid.UUID | None = None,
    keep_text: bool = True,
    channel: MessageChannel = MessageChannel.SMS,
) -> None:
    # Insert-or-nothing on the provider's sid: the callback row is locked and processed once,
    # but a message already stored must never make the callback fail for good.
    insert_ignoring_conflict(
        session,
        Message,
        {
            "id": uuid.uuid4(),
            "direction": MessageDirection.INBOUND,
            "channel": channel,
            # A survey answer's intent (1 reads as YES) and text would tell the answer.
            "purpose": purpose,
            "dedupe_key": callback.dedupe_key,
            "invitation_id": invitation_id,
            "participant_id": participant_id,
            "provider_sid": callback.message_sid,
            "status": MessageStatus.RECEIVED,
            "body_encrypted": callback.body_encrypted if keep_text else None,
            "attempts": 0,
            "created_at": callback.received_at,
            "updated_at": callback.received_at,
        },
    )
