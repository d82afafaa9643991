"""The post-event survey: to attendees a while after the event, and one reminder a day later.

The table is the schedule: every minute `surveys.send_due` plans
- the survey link (`survey_post`) for each invitation marked attended whose event ended
  `survey_delay_minutes` ago (default 60), and, where the person has replied by SMS before
  (so replies work on their route) and the sender can receive replies (SMS_TWO_WAY), the
  first question of the SMS survey right after it; without replies the link is the survey;
- one reminder (`survey_reminder`) 24 hours after the link went out, when no answer came;
- the follow-up wave's link (`survey_followup`) `SURVEY_FOLLOWUP_DAYS` after the event's end
  (default 28), to every attendee who has not answered it: a link only, since its questions
  (the event's attitude items and the behavioural ones) are answered on the personal page.

The links go by the person's channel, one message per person and wave: by Telegram to someone
whose first messenger is the bot (there the post survey's questions follow the link, each with
a button per answer, whether or not SMS replies work), by e-mail to someone with an e-mail
address and no phone, by SMS to everyone else (`survey_channel`). The reminder and the SMS
questions need a phone, so they go to people with one only.

Neither is planned during the quiet hours of the event city's local time: what comes due at
night waits for the first tick after they end (by default the survey of an event that ended
at 20:30 goes at 09:00). Attendance marked late still gets the survey, but not once its time
is more than three days past. Keys per invitation (`invitation:<id>:survey:post`, `…:reminder`)
make each at most one message, however often the task runs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session, aliased

from birge_shared.channels import usable_orders
from birge_shared.followup import (
    MAX_SURVEY_DELAY_MINUTES,
    SURVEY_REMINDER_AFTER,
    SURVEY_SEND_WINDOW,
)
from birge_shared.models import (
    Channel,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    SurveyConversation,
)
from birge_shared.outbound.channels import CHANNELS
from birge_shared.outbound.plan import channels_for, plan_one
from birge_shared.outbox import enqueue
from birge_shared.settings import Settings
from birge_shared.surveys import (
    SURVEY_FOLLOWUP,
    SURVEY_POST,
    SURVEY_REMINDER,
    SurveyKind,
    find_response,
    unanswered,
)
from birge_workers.sending.quiet_hours import in_quiet_hours
from birge_workers.surveys.conversation import start_conversation

log = logging.getLogger(__name__)

#: A survey link the provider took (or delivered): only then is a reminder meaningful.
_HANDED_OVER = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
)


def _reachable(*, by_email: bool = False) -> list[ColumnElement[bool]]:
    """Who can get a survey message: by SMS, or with `by_email` also by e-mail only."""
    address: ColumnElement[bool] = Participant.phone_encrypted.is_not(None)
    if by_email:
        address = address | Participant.email_encrypted.is_not(None)
    return [Participant.erased_at.is_(None), Participant.opted_out_at.is_(None), address]


def survey_channel(person: Participant, order: Sequence[Channel] = ()) -> MessageChannel:
    """The one channel a survey link goes by: the person's first messenger when it is not SMS
    (the Telegram bot), else e-mail when there is no phone to text, else SMS."""
    first = channels_for(purpose=SURVEY_POST, participant=person, order=order)
    if first and first[0].messenger and first[0].channel is not MessageChannel.SMS:
        return first[0].channel
    if person.phone_encrypted is None and person.email_encrypted is not None:
        return MessageChannel.EMAIL
    return MessageChannel.SMS


def _quiet(now: datetime, event: Event, settings: Settings) -> bool:
    local = now.astimezone(ZoneInfo(event.city.timezone)).time()
    return in_quiet_hours(local, start=settings.quiet_hours_start, end=settings.quiet_hours_end)


def _attendees_without(
    session: Session, purpose: str, *ended: ColumnElement[bool]
) -> list[tuple[Invitation, Event, MessageChannel]]:
    """Reachable attendees of events that ended in the window `ended`, with their event,
    whose invitation has no message of `purpose` yet, with the channel it goes by."""
    rows = session.execute(
        select(Invitation, Event, Participant)
        .join(Event, Invitation.event_id == Event.id)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(
            Invitation.status == InvitationStatus.ATTENDED,
            Event.status.in_((EventStatus.SCHEDULED, EventStatus.COMPLETED)),
            *ended,
            *_reachable(by_email=True),
            ~exists().where(Message.invitation_id == Invitation.id, Message.purpose == purpose),
        )
    ).all()
    orders = usable_orders(session, [person for _, _, person in rows])
    return [
        (invitation, event, survey_channel(person, orders[person.id]))
        for invitation, event, person in rows
    ]


def replies_work(session: Session, participant_id: uuid.UUID) -> bool:
    """Has this person ever sent Birge an SMS? Then replies reach it on their route."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Message.participant_id == participant_id,
                    Message.direction == MessageDirection.INBOUND,
                )
            )
        )
    )


#: Planned ids that must share a send task, with the channel they go by.
Group = tuple[MessageChannel, list[uuid.UUID]]


def send_post_surveys(*, session: Session, now: datetime, settings: Settings) -> list[Group]:
    """Plan the survey link (and the first SMS question) for attendees whose survey is due.

    Returns the planned ids grouped per person, so a link and its question stay in one chunk.
    """
    oldest_end = now - timedelta(minutes=MAX_SURVEY_DELAY_MINUTES) - SURVEY_SEND_WINDOW
    rows = _attendees_without(
        session, SURVEY_POST, Event.ends_at <= now, Event.ends_at > oldest_end
    )
    groups: list[Group] = []
    for invitation, event, channel in rows:
        due = event.ends_at + timedelta(minutes=event.survey_delay_minutes)
        if due > now or now - due > SURVEY_SEND_WINDOW or _quiet(now, event, settings):
            continue
        if not unanswered(
            session,
            event_id=event.id,
            participant_id=invitation.participant_id,
            kind=SurveyKind.POST,
        ):
            continue  # answered on the page already
        link = plan_one(
            session=session,
            purpose=SURVEY_POST,
            participant_id=invitation.participant_id,
            invitation_id=invitation.id,
            channel=channel,
        )
        if link is None:
            continue
        group = [link]
        # Without replies nobody could answer a question by SMS: the link is the survey. The
        # bot's buttons are answers that always arrive.
        if channel is MessageChannel.TELEGRAM or (
            channel is MessageChannel.SMS
            and settings.sms_replies
            and replies_work(session, invitation.participant_id)
        ):
            group += start_conversation(
                session=session,
                invitation=invitation,
                kind=SurveyKind.POST,
                now=now,
                channels=frozenset({channel}),
            )
        groups.append((channel, group))
    return groups


def send_survey_reminders(
    *, session: Session, now: datetime, settings: Settings
) -> list[uuid.UUID]:
    """Plan the one reminder for survey links sent a day ago that got no answer at all."""
    reminder = aliased(Message)
    rows = session.execute(
        select(Message.invitation_id, Message.participant_id, Event)
        .join(Invitation, Message.invitation_id == Invitation.id)
        .join(Event, Invitation.event_id == Event.id)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(
            Message.purpose == SURVEY_POST,
            Message.status.in_(_HANDED_OVER),
            Message.sent_at <= now - SURVEY_REMINDER_AFTER,
            Message.sent_at > now - SURVEY_REMINDER_AFTER - SURVEY_SEND_WINDOW,
            Event.status != EventStatus.CANCELLED,
            *_reachable(),
            ~exists().where(
                reminder.invitation_id == Message.invitation_id,
                reminder.purpose == SURVEY_REMINDER,
            ),
        )
    ).all()
    planned: list[uuid.UUID] = []
    for invitation_id, participant_id, event in rows:
        if invitation_id is None or participant_id is None or _quiet(now, event, settings):
            continue
        answered = find_response(
            session, event_id=event.id, participant_id=participant_id, kind=SurveyKind.POST
        )
        if answered is not None:
            continue
        message_id = plan_one(
            session=session,
            purpose=SURVEY_REMINDER,
            participant_id=participant_id,
            invitation_id=invitation_id,
        )
        if message_id is None:
            continue
        planned.append(message_id)
        conversation = session.scalar(
            select(SurveyConversation).where(
                SurveyConversation.invitation_id == invitation_id,
                SurveyConversation.kind == SurveyKind.POST.value,
            )
        )
        if conversation is not None:
            conversation.reminded_at = now
    return planned


def send_followup_surveys(*, session: Session, now: datetime, settings: Settings) -> list[Group]:
    """Plan the follow-up link for attendees whose event ended `survey_followup_days` ago."""
    after = timedelta(days=settings.survey_followup_days)
    rows = _attendees_without(
        session,
        SURVEY_FOLLOWUP,
        Event.ends_at <= now - after,
        Event.ends_at > now - after - SURVEY_SEND_WINDOW,
    )
    planned: list[Group] = []
    for invitation, event, channel in rows:
        if _quiet(now, event, settings):
            continue
        answered = find_response(
            session,
            event_id=event.id,
            participant_id=invitation.participant_id,
            kind=SurveyKind.FOLLOWUP,
        )
        if answered is not None:
            continue
        message_id = plan_one(
            session=session,
            purpose=SURVEY_FOLLOWUP,
            participant_id=invitation.participant_id,
            invitation_id=invitation.id,
            channel=channel,
        )
        if message_id is not None:
            planned.append((channel, [message_id]))
    return planned


def chunked(groups: Sequence[list[uuid.UUID]], size: int) -> list[list[uuid.UUID]]:
    """Pack groups into chunks of at most `size` ids (a larger group gets its own chunk)."""
    chunks: list[list[uuid.UUID]] = []
    current: list[uuid.UUID] = []
    for group in groups:
        if current and len(current) + len(group) > size:
            chunks.append(current)
            current = []
        current += group
    if current:
        chunks.append(current)
    return chunks


def send_due_surveys(*, session: Session, now: datetime, settings: Settings) -> int:
    """Plan and queue the survey messages due now; return how many. The caller commits."""
    groups = send_post_surveys(session=session, now=now, settings=settings)
    groups += [
        (MessageChannel.SMS, [message_id])
        for message_id in send_survey_reminders(session=session, now=now, settings=settings)
    ]
    groups += send_followup_surveys(session=session, now=now, settings=settings)
    for channel, spec in CHANNELS.items():
        mine = [ids for of, ids in groups if of is channel]
        for chunk in chunked(mine, spec.chunk_size or settings.sms_chunk_size):
            enqueue(session=session, payload=spec.send_task(chunk))
    count = sum(len(ids) for _, ids in groups)
    if count:
        log.info("survey messages planned", extra={"count": count})
    session.flush()
    return count
