"""The participant page: what one personal link shows, and recording the answer given on it.

The token in the link is the only credential a participant has, so looking at the page never
changes anything (SMS apps open links to build previews); answers arrive only by POST, with a
form token derived from the link's token that a foreign site cannot compute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.attendance.service import CheckIn, check_in
from birge_api.participant_page import followup
from birge_api.participant_page.i18n import (
    ANSWER_BY_HINT,
    CHANGE_HINT,
    AnswerState,
    Done,
    format_moment,
    format_when,
)
from birge_shared import channels
from birge_shared.departure import opt_out_participant
from birge_shared.i18n import gettext_for
from birge_shared.invitations import Answer, RsvpClosedError, respond
from birge_shared.models import (
    Channel,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    Language,
    utcnow,
)
from birge_shared.models.invitation import token_hash
from birge_shared.settings import Settings
from birge_shared.sms.render import in_language
from birge_shared.telegram_links import new_link_code, start_link

log = logging.getLogger(__name__)

# Tokens are 43 characters (`new_token`), looked up by their hash; none was ever longer than
# 64. Anything longer is not a token, and is refused without a query.
MAX_TOKEN_LENGTH = 64

_STATES = {
    InvitationStatus.PLANNED: AnswerState.PENDING,
    InvitationStatus.SENT: AnswerState.PENDING,
    InvitationStatus.ACCEPTED: AnswerState.ACCEPTED,
    InvitationStatus.DECLINED: AnswerState.DECLINED,
    InvitationStatus.EXPIRED: AnswerState.EXPIRED,
    InvitationStatus.WAITLISTED: AnswerState.WAITLISTED,
    InvitationStatus.ATTENDED: AnswerState.ATTENDED,
}
# The statuses `respond` accepts an answer for; the buttons are shown only for these.
_ANSWERABLE = frozenset(
    {
        InvitationStatus.PLANNED,
        InvitationStatus.SENT,
        InvitationStatus.ACCEPTED,
        InvitationStatus.DECLINED,
        InvitationStatus.EXPIRED,
    }
)
_DONE = {
    InvitationStatus.ACCEPTED: Done.ACCEPTED,
    InvitationStatus.DECLINED: Done.DECLINED,
    InvitationStatus.WAITLISTED: Done.WAITLISTED,
}
_ANSWERS = frozenset(item.value for item in Answer)
_CONFIRMS = {
    Done.ACCEPTED: AnswerState.ACCEPTED,
    Done.DECLINED: AnswerState.DECLINED,
    Done.WAITLISTED: AnswerState.WAITLISTED,
    Done.CHECKED_IN: AnswerState.ATTENDED,
}


class PageNotFoundError(Exception):
    """No page for this link: unknown token, or an invitation the person never received."""

    def __init__(self, language: Language | None) -> None:
        super().__init__("no participant page for this link")
        self.language = language


class RequestRefusedError(Exception):
    """The answer did not come from the page: a foreign Origin or a wrong form token."""

    def __init__(self, *, token: str, language: Language, reason: str) -> None:
        super().__init__(reason)
        self.token = token
        self.language = language


class BadAnswerError(Exception):
    """The form carried neither `accept` nor `decline`."""

    def __init__(self, *, token: str, language: Language) -> None:
        super().__init__("the answer is neither accept nor decline")
        self.token = token
        self.language = language


class AnswersClosedError(Exception):
    """The invitation can no longer be answered; `view` is the page as it now stands."""

    def __init__(self, view: PageView) -> None:
        super().__init__("answers are closed")
        self.view = view


@dataclass(frozen=True)
class PageView:
    token: str
    language: Language
    title: str
    description: str
    when: str
    venue_name: str
    venue_address: str
    map_url: str | None
    state: AnswerState
    can_answer: bool
    cancelled: bool
    #: Whether the event is still ahead, so adding it to a calendar makes sense.
    upcoming: bool
    done: Done | None
    csrf: str
    #: The survey to answer on the page now (the pre question, or the post survey).
    survey: followup.SurveyForm | None = None
    #: Whether the check-in form shows: accepted, and the event is on or about to start.
    can_check_in: bool = False
    #: A survey's answers were just saved (`?saved=survey` after the redirect).
    survey_saved: bool = False
    #: The coordinator's reason for cancelling, when they gave one.
    cancel_reason: str | None = None
    #: The time or place changed since the event was announced (and it is not cancelled).
    changed: bool = False
    #: Until when the answer can be given or changed, in words (shown with the buttons).
    answer_hint: str = ""
    #: The person opted out of every message (STOP, or "stop all messages" here).
    stopped: bool = False
    #: The bot is on and the person has no Telegram chat linked: offer the start link.
    telegram_offer: bool = False


@dataclass(frozen=True)
class Answered:
    token: str
    language: Language
    done: Done


def requested_language(requested: str | None) -> Language | None:
    """`?lang=` or the form's `lang` when it names one of the page's languages."""
    try:
        return Language(requested) if requested else None
    except ValueError:
        return None


def pick_language(requested: str | None, fallback: Language) -> Language:
    """The display language: the requested one when valid, else the participant's own."""
    return requested_language(requested) or fallback


def csrf_token(*, secret_key: str, invitation_token: str) -> str:
    """The form token for one invitation: nobody without the server's key can compute it.

    It needs no cookie: the page that shows the form already proves knowledge of the link,
    and a site that does not know the link cannot forge the form.
    """
    message = f"rsvp:{invitation_token}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def csrf_valid(*, secret_key: str, invitation_token: str, submitted: str) -> bool:
    expected = csrf_token(secret_key=secret_key, invitation_token=invitation_token)
    return hmac.compare_digest(expected.encode(), submitted.encode())


def _origin(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        return None
    suffix = "" if port is None or port == default else f":{port}"
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}{suffix}"


def origin_allowed(*, origin: str | None, own_origins: tuple[str, ...]) -> bool:
    """An `Origin` header, when sent, must be this app's own.

    `null` is accepted: browsers send it for a form posted from a page whose referrer policy
    is `no-referrer`, which is this page's own policy (the token is in its URL). The form
    token still has to match, and only someone who has the link can produce it.
    """
    if origin is None or origin.strip() == "null":
        return True
    presented = _origin(origin)
    return presented is not None and presented in {_origin(own) for own in own_origins}


def _find(session: Session, token: str) -> Invitation | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    # No eager joins here: `respond` refreshes this object with a row lock, which would
    # repeat them, and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    if invitation is None or _hidden(invitation):
        return None
    return invitation


def _hidden(invitation: Invitation) -> bool:
    """Invitations that never reached the person, or were taken back, have no page.

    A waiting-list place the person never heard of, or an SMS that failed, gave nobody the
    link; a withdrawn invitation of an event that still takes place is not theirs any more.
    A waiting-list place they got by answering is shown, so they can see where they stand.
    After erasure no link of the person works any more, whatever its invitation.
    """
    if invitation.participant.erased_at is not None:
        return True
    status = invitation.status
    if status is InvitationStatus.FAILED:
        return True
    if status is InvitationStatus.WAITLISTED and invitation.responded_at is None:
        return True
    return (
        status is InvitationStatus.WITHDRAWN
        and invitation.event.status is not EventStatus.CANCELLED
    )


def _coordinate(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def map_url(event: Event) -> str | None:
    if event.venue_latitude is None or event.venue_longitude is None:
        return None
    lat, lon = _coordinate(event.venue_latitude), _coordinate(event.venue_longitude)
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def _state(invitation: Invitation, now: datetime) -> AnswerState:
    event = invitation.event
    if invitation.status is InvitationStatus.ATTENDED:
        return AnswerState.ATTENDED
    if event.status is EventStatus.COMPLETED or event.ends_at <= now:
        return AnswerState.PAST
    return _STATES.get(invitation.status, AnswerState.PAST)


def _view(
    invitation: Invitation, *, language: Language, secret_key: str, done: str | None, now: datetime
) -> PageView:
    event = invitation.event
    cancelled = event.status is EventStatus.CANCELLED
    state = _state(invitation, now)
    can_answer = (
        event.status is EventStatus.SCHEDULED
        and event.starts_at > now
        and invitation.status in _ANSWERABLE
    )
    confirmed = Done(done) if done in _CONFIRMS else None
    # A confirmation that no longer matches the answer (changed since, or a hand-edited
    # link) would tell the person something untrue.
    if confirmed is not None and (cancelled or _CONFIRMS[confirmed] is not state):
        confirmed = None
    return PageView(
        token=invitation.token,
        language=language,
        title=in_language(event.title, language),
        description=in_language(event.description, language) if event.description else "",
        when=format_when(event.starts_at, event.ends_at, event.city.timezone, language),
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        map_url=map_url(event),
        state=state,
        can_answer=can_answer,
        cancelled=cancelled,
        upcoming=not cancelled and event.ends_at > now,
        done=confirmed,
        csrf=csrf_token(secret_key=secret_key, invitation_token=invitation.token),
        cancel_reason=event.cancel_reason if cancelled else None,
        # Every change participants must hear about raises the calendar SEQUENCE.
        changed=not cancelled and event.status is EventStatus.SCHEDULED and event.sequence > 0,
        answer_hint=_answer_hint(invitation, language, now),
        stopped=invitation.participant.opted_out_at is not None,
    )


def _answer_hint(invitation: Invitation, language: Language, now: datetime) -> str:
    """The real deadline: an unanswered invitation's `expires_at`, else the start.

    After `expires_at` the seat may go to the waitlist; an answer given before can be changed
    until the event starts.
    """
    deadline = invitation.expires_at
    if (
        invitation.status is InvitationStatus.SENT
        and deadline is not None
        and now < deadline < invitation.event.starts_at
    ):
        when = format_moment(deadline, invitation.event.city.timezone, language)
        return gettext_for(language, ANSWER_BY_HINT) % {"deadline": when}
    return gettext_for(language, CHANGE_HINT)


def load_page(
    *,
    session: Session,
    settings: Settings,
    token: str,
    lang: str | None,
    done: str | None,
    now: datetime | None = None,
    saved: str | None = None,
) -> PageView:
    """The page for one personal link; raises `PageNotFoundError` when there is none."""
    invitation = _find(session, token)
    if invitation is None:
        raise PageNotFoundError(requested_language(lang))
    moment = now or utcnow()
    view = _view(
        invitation,
        language=pick_language(lang, invitation.participant.language),
        secret_key=settings.secret_key.get_secret_value(),
        done=done,
        now=moment,
    )
    view = replace(view, telegram_offer=_offers_telegram(session, settings, invitation))
    return _with_followup(session, invitation, view, saved=saved, now=moment)


def _offers_telegram(session: Session, settings: Settings, invitation: Invitation) -> bool:
    if not settings.uses_telegram or invitation.event.status is EventStatus.CANCELLED:
        return False
    return not any(
        state.channel is Channel.TELEGRAM and state.usable
        for state in channels.channels_of(session, invitation.participant)
    )


def telegram_start_link(*, session: Session, settings: Settings, token: str) -> str:
    """A fresh one-time `t.me` start link for the person whose page this is.

    Each visit makes a new code, so a link opened on another phone, or expired, never
    blocks the next try; every code still links once at most.
    """
    invitation = _find(session, token)
    if invitation is None or not settings.uses_telegram or not settings.telegram_bot_username:
        raise PageNotFoundError(None)
    code = new_link_code(session=session, participant_id=invitation.participant_id)
    log.info("telegram start link made", extra={"invitation_id": str(invitation.id)})
    return start_link(settings.telegram_bot_username, code)


def _with_followup(
    session: Session, invitation: Invitation, view: PageView, *, saved: str | None, now: datetime
) -> PageView:
    survey = followup.survey_form(
        session=session,
        invitation=invitation,
        language=view.language,
        now=now,
    )
    return replace(
        view,
        survey=survey,
        can_check_in=followup.can_check_in(invitation, now),
        survey_saved=saved == "survey",
    )


def submit_answer(
    *,
    session: Session,
    settings: Settings,
    token: str,
    answer: str,
    csrf: str,
    lang: str | None,
    origin: str | None,
    request_origin: str,
) -> Answered:
    """Record an accept or decline sent by the page's form.

    Checks, in order: the link exists, the request came from this app (Origin), the form
    token matches, the answer is one of the two. Answering twice is harmless: `respond`
    leaves an unchanged answer alone.
    """
    invitation = _find(session, token)
    if invitation is None:
        raise PageNotFoundError(requested_language(lang))
    language = pick_language(lang, invitation.participant.language)
    secret_key = settings.secret_key.get_secret_value()
    if not origin_allowed(origin=origin, own_origins=(settings.public_base_url, request_origin)):
        log.warning(
            "participant page answer refused: foreign origin",
            extra={"invitation_id": str(invitation.id)},
        )
        raise RequestRefusedError(token=token, language=language, reason="foreign origin")
    if not csrf_valid(secret_key=secret_key, invitation_token=token, submitted=csrf):
        log.warning(
            "participant page answer refused: bad form token",
            extra={"invitation_id": str(invitation.id)},
        )
        raise RequestRefusedError(token=token, language=language, reason="bad form token")
    if answer not in _ANSWERS:
        raise BadAnswerError(token=token, language=language)
    try:
        outcome = respond(
            session=session,
            invitation_id=invitation.id,
            answer=Answer(answer),
            over_invite=settings.over_invite_factor,
        )
    except RsvpClosedError:
        view = _view(invitation, language=language, secret_key=secret_key, done=None, now=utcnow())
        raise AnswersClosedError(view) from None
    log.info(
        "participant page answer",
        extra={
            "invitation_id": str(invitation.id),
            "answer": answer,
            "status": outcome.invitation.status.value,
            "changed": outcome.changed,
        },
    )
    return Answered(token=token, language=language, done=_DONE[outcome.invitation.status])


class SurveyNotSavedError(Exception):
    """The page's survey answers were not stored: incomplete, or no survey is open."""

    def __init__(self, *, token: str, language: Language, outcome: followup.SurveySaved) -> None:
        super().__init__(f"survey not saved: {outcome.value}")
        self.token = token
        self.language = language
        self.outcome = outcome


class CheckInRefusedError(Exception):
    """The check-in did not happen: a wrong code, too many of them, or not the time for it."""

    def __init__(self, *, token: str, language: Language, outcome: CheckIn) -> None:
        super().__init__(f"check-in refused: {outcome.value}")
        self.token = token
        self.language = language
        self.outcome = outcome


@dataclass(frozen=True)
class Submitted:
    token: str
    language: Language


def _verified_form(
    *,
    session: Session,
    settings: Settings,
    token: str,
    csrf: str,
    lang: str | None,
    origin: str | None,
    request_origin: str,
    what: str,
) -> tuple[Invitation, Language]:
    """The invitation behind a form posted from its own page, checked as an RSVP is."""
    invitation = _find(session, token)
    if invitation is None:
        raise PageNotFoundError(requested_language(lang))
    language = pick_language(lang, invitation.participant.language)
    secret_key = settings.secret_key.get_secret_value()
    if not origin_allowed(origin=origin, own_origins=(settings.public_base_url, request_origin)):
        log.warning(
            "participant page form refused: foreign origin",
            extra={"invitation_id": str(invitation.id), "form": what},
        )
        raise RequestRefusedError(token=token, language=language, reason="foreign origin")
    if not csrf_valid(secret_key=secret_key, invitation_token=token, submitted=csrf):
        log.warning(
            "participant page form refused: bad form token",
            extra={"invitation_id": str(invitation.id), "form": what},
        )
        raise RequestRefusedError(token=token, language=language, reason="bad form token")
    return invitation, language


def submit_survey(
    *,
    session: Session,
    settings: Settings,
    token: str,
    kind: str,
    answers: Mapping[str, str],
    comment: str,
    csrf: str,
    lang: str | None,
    origin: str | None,
    request_origin: str,
) -> Submitted:
    """Store the survey answers sent by the page's form (under the pseudonym only)."""
    invitation, language = _verified_form(
        session=session,
        settings=settings,
        token=token,
        csrf=csrf,
        lang=lang,
        origin=origin,
        request_origin=request_origin,
        what="survey",
    )
    outcome = followup.save_survey(
        session=session,
        invitation=invitation,
        kind=kind,
        form=answers,
        comment=comment,
        now=utcnow(),
    )
    # Whether a survey was answered, never what: the answers live under a pseudonym only.
    log.info(
        "participant page survey",
        extra={"invitation_id": str(invitation.id), "outcome": outcome.value},
    )
    if outcome is not followup.SurveySaved.SAVED:
        raise SurveyNotSavedError(token=token, language=language, outcome=outcome)
    return Submitted(token=token, language=language)


def submit_check_in(
    *,
    session: Session,
    settings: Settings,
    token: str,
    code: str,
    csrf: str,
    lang: str | None,
    origin: str | None,
    request_origin: str,
) -> Submitted:
    """Check in with the event's code; a refusal is raised after its count was recorded."""
    invitation, language = _verified_form(
        session=session,
        settings=settings,
        token=token,
        csrf=csrf,
        lang=lang,
        origin=origin,
        request_origin=request_origin,
        what="check-in",
    )
    outcome = check_in(session=session, invitation_id=invitation.id, code=code)
    log.info(
        "participant page check-in",
        extra={"invitation_id": str(invitation.id), "outcome": outcome.value},
    )
    if outcome not in (CheckIn.CHECKED_IN, CheckIn.ALREADY):
        raise CheckInRefusedError(token=token, language=language, outcome=outcome)
    return Submitted(token=token, language=language)


def stop_messages(
    *,
    session: Session,
    settings: Settings,
    token: str,
    csrf: str,
    lang: str | None,
    origin: str | None,
    request_origin: str,
) -> Submitted:
    """ "Stop all messages": the opt-out a STOP reply makes, for a sender nobody can reply to.

    Every row of the person's phone number is opted out, their open invitations are withdrawn
    with their seats refilled, and their pending messages are skipped (`opt_out`). Posting it
    again changes nothing.
    """
    invitation, language = _verified_form(
        session=session,
        settings=settings,
        token=token,
        csrf=csrf,
        lang=lang,
        origin=origin,
        request_origin=request_origin,
        what="stop",
    )
    departure = opt_out_participant(
        session=session,
        participant_id=invitation.participant_id,
        now=utcnow(),
        over_invite=settings.over_invite_factor,
    )
    log.info(
        "participant page stop all messages",
        extra={"invitation_id": str(invitation.id), "opted_out": len(departure.participant_ids)},
    )
    return Submitted(token=token, language=language)
