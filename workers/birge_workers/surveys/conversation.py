"""The SMS survey: one question per SMS, answered with a number.

A conversation is opened where SMS replies are known to work: right after a participant
accepted by SMS (the pre survey), or after the event for an attendee who has replied by SMS
before (the post survey). While it is open, a reply that is a number answers the question
asked last; anything else but a keyword gets one hint per question. It ends after the last
question (with a thank-you) or 48 hours after it began, whichever comes first; the pre survey
also ends when the event starts, since its answer must come before the contact, and either
ends when its invitation changes (declined after the YES, corrected to no-show).

Questions the person already answered on the page are not asked again. Every message is
planned with a key made of the conversation and the step, so a reply processed twice plans
nothing twice. A conversation answered by SMS goes on by SMS, and one answered on WhatsApp (a
button or a typed number) goes on on WhatsApp, inside the window the answer opened (its caller
queues the sends of the channel); one answered with a Telegram button (`advance`, after the
webhook stored the answer) goes on the person's first messenger that carries it, which is
Telegram while it stays linked, where a question comes with a button per answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from birge_shared.models import (
    Invitation,
    InvitationStatus,
    MessageChannel,
    MessagePurpose,
    Participant,
    SurveyConversation,
)
from birge_shared.outbound.dedupe import KeySubject
from birge_shared.outbound.plan import Planned, Target, plan_messages
from birge_shared.sms.keywords import Intent, parse_reply
from birge_shared.surveys import (
    QUESTION_PURPOSES,
    QUESTIONS,
    SCALES,
    SURVEY_HINT,
    SURVEY_THANKS,
    TALK_NO,
    TALK_YES,
    Channel,
    Question,
    SurveyKind,
    conversation_expiry,
    is_valid,
    parse_number,
    record_answers,
    unanswered,
)
from birge_shared.upsert import insert_ignoring_conflict

#: The channels of an SMS conversation's messages.
BY_SMS = frozenset({MessageChannel.SMS})

#: What the invitation must still be for its survey to go on: the pre survey belongs to an
#: accepted invitation, the post survey to one marked attended.
_BELONGS_TO = {
    SurveyKind.PRE: InvitationStatus.ACCEPTED,
    SurveyKind.POST: InvitationStatus.ATTENDED,
}


#: The answers in words a yes/no question takes, as numbers on its scale.
_IN_WORDS = {Intent.ACCEPT: TALK_YES, Intent.DECLINE: TALK_NO}


def survey_answer(question: Question, text: str) -> int | None:
    """The number a reply gives the question, or None when it gives none on its scale."""
    number = parse_number(text)
    if number is None and SCALES[question] == (TALK_YES, TALK_NO):
        number = _IN_WORDS.get(parse_reply(text))
    if number is None or not is_valid(question, number):
        return None
    return number


def current_question(conversation: SurveyConversation) -> Question:
    return QUESTIONS[SurveyKind(conversation.kind)][conversation.step]


def end_if_moot(*, session: Session, conversation: SurveyConversation, now: datetime) -> bool:
    """End the conversation if its invitation changed since (declined, marked no-show).

    True when it ended: the reply is then not a survey answer, and is handled as any other.
    """
    invitation = session.get(Invitation, conversation.invitation_id)
    assert invitation is not None  # the conversation's foreign key
    if invitation.status is _BELONGS_TO[SurveyKind(conversation.kind)]:
        return False
    conversation.finished_at = now
    session.flush()
    return True


def _plan(
    session: Session,
    *,
    purpose: MessagePurpose,
    invitation: Invitation,
    conversation_id: uuid.UUID,
    step: str,
    channels: frozenset[MessageChannel] | None = BY_SMS,
) -> Planned:
    person = session.get(Participant, invitation.participant_id)
    assert person is not None  # the invitation's foreign key
    return plan_messages(
        session=session,
        purpose=purpose,
        targets=[
            Target(
                participant=person,
                # With its invitation, so the sender knows the event (its city's quiet hours,
                # its cancellation) and renders the link where a text has one.
                invitation_id=invitation.id,
                # Once per step of this conversation: a reply delivered twice asks nothing twice.
                subject=KeySubject.CONVERSATION,
                subject_id=str(conversation_id),
            )
        ],
        version=step,
        channels=channels,
    )


def start_conversation(
    *,
    session: Session,
    invitation: Invitation,
    kind: SurveyKind,
    now: datetime,
    until: datetime | None = None,
    channels: frozenset[MessageChannel] = BY_SMS,
) -> list[uuid.UUID]:
    """Open the survey conversation and plan its first question on `channels` (SMS unless
    said otherwise); the ids of the planned messages.

    Nothing when the survey is already answered, or a conversation of this kind was opened
    for the invitation before (a second YES does not ask again). The caller queues the ids.
    """
    pending = unanswered(
        session, event_id=invitation.event_id, participant_id=invitation.participant_id, kind=kind
    )
    if not pending:
        return []
    step = QUESTIONS[kind].index(pending[0])
    conversation_id = insert_ignoring_conflict(
        session,
        SurveyConversation,
        {
            "id": uuid.uuid4(),
            "invitation_id": invitation.id,
            "kind": kind.value,
            "step": step,
            "started_at": now,
            "expires_at": conversation_expiry(now, until=until),
        },
    )
    if conversation_id is None:
        return []
    return _plan(
        session,
        purpose=QUESTION_PURPOSES[pending[0]],
        invitation=invitation,
        conversation_id=conversation_id,
        step=f"question:{step}",
        channels=channels,
    ).all()


def answer_reply(
    *,
    session: Session,
    conversation: SurveyConversation,
    participant: Participant,
    text: str,
    now: datetime,
    channel: MessageChannel = MessageChannel.SMS,
) -> list[uuid.UUID]:
    """Take one reply to the open conversation (locked by the caller); the messages planned,
    on the channel the reply came by (SMS, or WhatsApp inside the window it just opened).

    A number on the question's scale is stored under the person's pseudonym and the next
    unanswered question follows, or the thank-you after the last one. Anything else gets the
    hint, once per question.
    """
    invitation = session.get(Invitation, conversation.invitation_id)
    assert invitation is not None  # the conversation's foreign key
    kind = SurveyKind(conversation.kind)
    questions = QUESTIONS[kind]
    step = conversation.step
    question = questions[step]
    number = survey_answer(question, text)
    if number is None:
        return _plan(
            session,
            purpose=SURVEY_HINT,
            invitation=invitation,
            conversation_id=conversation.id,
            step=f"hint:{step}",
            channels=frozenset({channel}),
        ).all()
    record_answers(
        session=session,
        event_id=invitation.event_id,
        participant=participant,
        kind=kind,
        answers={question: number},
        channel=Channel(channel.value),
        now=now,
    )
    return _next_step(
        session,
        conversation=conversation,
        invitation=invitation,
        now=now,
        channels=frozenset({channel}),
    ).all()


def advance(*, session: Session, conversation: SurveyConversation, now: datetime) -> Planned:
    """After an answer stored elsewhere (a Telegram button): the next question, or the thanks.

    Nothing when the question asked last is still unanswered (the button answered an earlier
    one), or the conversation is over: a second press, or a settle run twice, asks nothing.
    The caller locks the conversation and queues the ids.
    """
    if conversation.finished_at is not None or conversation.expires_at <= now:
        return Planned()
    if end_if_moot(session=session, conversation=conversation, now=now):
        return Planned()
    invitation = session.get(Invitation, conversation.invitation_id)
    assert invitation is not None  # the conversation's foreign key
    pending = unanswered(
        session,
        event_id=invitation.event_id,
        participant_id=invitation.participant_id,
        kind=SurveyKind(conversation.kind),
    )
    if current_question(conversation) in pending:
        return Planned()
    return _next_step(
        session, conversation=conversation, invitation=invitation, now=now, channels=None
    )


def _next_step(
    session: Session,
    *,
    conversation: SurveyConversation,
    invitation: Invitation,
    now: datetime,
    channels: frozenset[MessageChannel] | None,
) -> Planned:
    """The question asked last is answered: plan the next unanswered one, or the thanks."""
    kind = SurveyKind(conversation.kind)
    questions = QUESTIONS[kind]
    step = conversation.step
    pending = unanswered(
        session, event_id=invitation.event_id, participant_id=invitation.participant_id, kind=kind
    )
    following = next((later for later in questions[step + 1 :] if later in pending), None)
    if following is None:
        conversation.step = len(questions)
        conversation.finished_at = now
        session.flush()
        return _plan(
            session,
            purpose=SURVEY_THANKS,
            invitation=invitation,
            conversation_id=conversation.id,
            step="thanks",
            channels=channels,
        )
    conversation.step = questions.index(following)
    session.flush()
    return _plan(
        session,
        purpose=QUESTION_PURPOSES[following],
        invitation=invitation,
        conversation_id=conversation.id,
        step=f"question:{conversation.step}",
        channels=channels,
    )
