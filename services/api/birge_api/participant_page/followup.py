"""What the personal page offers around the event: the surveys and checking in.

- The **pre** survey (the attitude item) shows under the answer once the person accepted, until
  the event starts: accepting leads straight to the page with the question on it.
- The **post** survey shows at the top of the page for an attendee, from the end of the event
  for two weeks; the survey SMS links here.
- The **follow-up** survey shows to an attendee from `SURVEY_FOLLOWUP_DAYS` after the end for
  two weeks: the event's attitude items again and the behavioural questions of the item bank
  (`birge_shared.survey_items`); the follow-up SMS links here.
- **Check-in** shows to an accepted participant from 30 minutes before the start to the end.

Only the questions still unanswered are shown, so an SMS answer is never asked again here.
The page asks the same questions as the SMS in its own wording (`i18n.QUESTIONS`):
the choices are radio buttons labelled with what the scale's ends mean, so the SMS's "reply 1
for yes, 2 for no" would be wrong here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from birge_api.attendance.service import check_in_open
from birge_api.participant_page.i18n import NO, QUESTIONS, SCALE_ENDS, YES
from birge_shared import survey_items
from birge_shared.i18n import gettext_for
from birge_shared.models import EventStatus, Invitation, InvitationStatus, Language
from birge_shared.settings import get_settings
from birge_shared.surveys import (
    FOLLOWUP_SURVEY_DAYS,
    POST_SURVEY_DAYS,
    SCALES,
    TALK_NO,
    TALK_YES,
    Channel,
    Question,
    SurveyAnswerError,
    SurveyKind,
    finish_conversation,
    questions_of,
    record_answers,
    unanswered,
)


@dataclass(frozen=True)
class QuestionField:
    name: str
    text: str
    #: (value, label) for each choice: the numbers of the scale, or Yes and No.
    options: tuple[tuple[int, str], ...]
    #: A wide scale (the 0–100 thermometer) is typed as a number, its ends said in the hint.
    number: tuple[int, int] | None = None
    number_hint: str = ""


@dataclass(frozen=True)
class SurveyForm:
    kind: SurveyKind
    questions: tuple[QuestionField, ...]
    #: The post survey ends with an optional comment.
    comment: bool


class SurveySaved(enum.StrEnum):
    SAVED = "saved"
    INCOMPLETE = "incomplete"  # a question left unanswered, or an answer off its scale
    CLOSED = "closed"  # no survey is open for this invitation now


def open_survey(invitation: Invitation, now: datetime) -> SurveyKind | None:
    """Which survey this invitation may answer now, if any."""
    event = invitation.event
    if invitation.participant.erased_at is not None:
        return None
    if (
        invitation.status is InvitationStatus.ACCEPTED
        and event.status is EventStatus.SCHEDULED
        and now < event.starts_at
    ):
        return SurveyKind.PRE
    if (
        invitation.status is InvitationStatus.ATTENDED
        and event.status is not EventStatus.CANCELLED
        and event.ends_at <= now < event.ends_at + timedelta(days=POST_SURVEY_DAYS)
    ):
        return SurveyKind.POST
    followup = event.ends_at + timedelta(days=get_settings().survey_followup_days)
    if (
        invitation.status is InvitationStatus.ATTENDED
        and event.status is not EventStatus.CANCELLED
        and followup <= now < followup + timedelta(days=FOLLOWUP_SURVEY_DAYS)
    ):
        return SurveyKind.FOLLOWUP
    return None


#: Scales with more choices than this are typed as a number instead of picked.
_MOST_CHOICES = 11


def _field(question: Question, language: Language) -> QuestionField:
    item = survey_items.BY_CODE.get(question.value)
    if item is None:
        return QuestionField(
            name=question.value,
            text=gettext_for(language, QUESTIONS[question]),
            options=_options(question, language),
        )
    text = gettext_for(language, item.wording)
    labels = {value: gettext_for(language, label) for value, label in item.value_labels.items()}
    if len(item.values) > _MOST_CHOICES:
        low, high = item.values[0], item.values[-1]
        hint = f"{low} — {labels[low]}, {high} — {labels[high]}"
        return QuestionField(question.value, text, (), number=(low, high), number_hint=hint)
    if item.answer is survey_items.Answer.SCALE:
        ends = {value: f"{value} — {label}" for value, label in labels.items()}
        options = tuple((value, ends.get(value, str(value))) for value in item.values)
    else:
        options = tuple((value, labels[value]) for value in item.values)
    return QuestionField(question.value, text, options)


def _options(question: Question, language: Language) -> tuple[tuple[int, str], ...]:
    if question is Question.TALK:
        return ((TALK_YES, gettext_for(language, YES)), (TALK_NO, gettext_for(language, NO)))
    scale = SCALES[question]
    low, high = (gettext_for(language, end) for end in SCALE_ENDS[question])
    labels = {scale[0]: f"{scale[0]} — {low}", scale[-1]: f"{scale[-1]} — {high}"}
    return tuple((value, labels.get(value, str(value))) for value in scale)


def survey_form(
    *,
    session: Session,
    invitation: Invitation,
    language: Language,
    now: datetime,
) -> SurveyForm | None:
    """The questions to show on the page now, or None when there is nothing to ask."""
    kind = open_survey(invitation, now)
    if kind is None:
        return None
    pending = unanswered(
        session,
        event_id=invitation.event_id,
        participant_id=invitation.participant_id,
        kind=kind,
        questions=questions_of(kind, invitation.event.survey_items),
    )
    if not pending:
        return None
    return SurveyForm(
        kind=kind,
        questions=tuple(_field(question, language) for question in pending),
        comment=kind is SurveyKind.POST,
    )


def save_survey(
    *,
    session: Session,
    invitation: Invitation,
    kind: str,
    form: Mapping[str, str],
    comment: str,
    now: datetime,
) -> SurveySaved:
    """Store the page's answers to the survey open now; the caller commits.

    Every question still unanswered must be answered; an item answered meanwhile by SMS
    keeps that answer. A finished survey also closes its SMS conversation, so a late reply
    is not taken for an answer.
    """
    survey = open_survey(invitation, now)
    if survey is None or survey.value != kind:
        return SurveySaved.CLOSED
    pending = unanswered(
        session,
        event_id=invitation.event_id,
        participant_id=invitation.participant_id,
        kind=survey,
        questions=questions_of(survey, invitation.event.survey_items),
    )
    if not pending:
        return SurveySaved.CLOSED  # answered already, on the page or by SMS
    answers: dict[Question, int] = {}
    for question in pending:
        raw = form.get(question.value, "").strip()
        if not raw.isdecimal() or len(raw) > 3:
            return SurveySaved.INCOMPLETE
        answers[question] = int(raw)
    try:
        record_answers(
            session=session,
            event_id=invitation.event_id,
            participant=invitation.participant,
            kind=survey,
            answers=answers,
            channel=Channel.PAGE,
            comment=comment if survey is SurveyKind.POST else None,
            now=now,
        )
    except SurveyAnswerError:
        return SurveySaved.INCOMPLETE
    finish_conversation(session=session, invitation_id=invitation.id, kind=survey, now=now)
    return SurveySaved.SAVED


def can_check_in(invitation: Invitation, now: datetime) -> bool:
    """Show the check-in form? To an accepted participant during the event's time."""
    return invitation.status is InvitationStatus.ACCEPTED and check_in_open(
        invitation.event, invitation, now
    )
