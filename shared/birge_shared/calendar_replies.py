"""Calendar answers: an iTIP `METHOD:REPLY` e-mail applied to the invitation it answers.

When a reply mailbox is configured, e-mailed invitations name it as ORGANIZER, and the
participant's calendar (Outlook, Gmail, Apple Calendar…) sends the answer there as an e-mail
carrying a `METHOD:REPLY` file. `read_answers` finds those files in one e-mail, whichever way
the client packed them; `apply_answer` applies one through `respond`, the path of an answer
given on the participant page, so seats, the waitlist and closed events behave the same.

How a reply finds its invitation: the UID names the event (`event_uid`), the one ATTENDEE
names the person, matched by the keyed hash of their e-mail (`Participant.email_hash`), so no
address is decrypted or compared in the clear. The e-mail's From must be that attendee too:
all three clients send the answer from the attendee's own account, and a reply in somebody
else's name is ignored (the mail server's SPF/DKIM/DMARC checks are what keep a From honest).

What each answer does:

- ACCEPTED and DECLINED answer the invitation exactly as the page's buttons do; an answer the
  invitation already has changes nothing. An event cancelled, started or over is not changed
  (`closed`), as on the page; after the answer deadline the page still takes answers (an
  accept then waits on the waitlist unless a seat is free), and so does this.
- TENTATIVE changes nothing: the page knows only yes and no, and a "maybe" keeps the seat
  held until the deadline, when it expires like no answer at all.
- Anything else (NEEDS-ACTION, DELEGATED, a COUNTER proposing another time) is not an answer.

Exactly once: every answer applied is recorded under (invitation, SEQUENCE, DTSTAMP) in the
same transaction as the answer itself. The same reply read again (delivered twice, or read
again after a crash between the commit and flagging the e-mail) finds its row and does
nothing, even if the person has answered differently on the page meanwhile. A reply whose
DTSTAMP is older than one already applied arrived out of order and is not applied either.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from email.utils import getaddresses

from icalendar import Calendar
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_shared.calendar import event_id_of_uid
from birge_shared.crypto import get_cipher
from birge_shared.invitations import Answer, RsvpClosedError, respond
from birge_shared.models import CalendarReply, Invitation, Participant
from birge_shared.upsert import insert_ignoring_conflict

log = logging.getLogger(__name__)

#: The content types a calendar file travels in: Outlook's and Apple's text/calendar, the
#: application/ics attachment Gmail adds (and Birge's own invitations carry).
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})
_ANSWERS = {"ACCEPTED": Answer.ACCEPT, "DECLINED": Answer.DECLINE}
TENTATIVE = "TENTATIVE"


class AnswerOutcome(enum.StrEnum):
    APPLIED = "applied"  # the invitation's answer changed
    UNCHANGED = "unchanged"  # it already had this answer
    DUPLICATE = "duplicate"  # this very reply was applied before
    STALE = "stale"  # a newer calendar answer was applied first
    CLOSED = "closed"  # the event no longer takes answers
    TENTATIVE = "tentative"  # noted, nothing changes
    NOT_AN_ANSWER = "not_an_answer"  # a PARTSTAT that answers nothing
    UNKNOWN = "unknown"  # no invitation of Birge's has this UID and attendee
    FOREIGN_SENDER = "foreign_sender"  # From is not the attendee


@dataclass(frozen=True)
class CalendarAnswer:
    """One attendee's answer to one event, as a `METHOD:REPLY` file states it.

    `attendee` and `sender` are e-mail addresses: personal data, never logged.
    """

    uid: str
    sequence: int
    stamped_at: datetime
    attendee: str
    partstat: str
    sender: str | None


def read_answers(message: EmailMessage) -> list[CalendarAnswer]:
    """Every answer in the `METHOD:REPLY` calendar files of one e-mail (none for any other).

    Outlook sends the file inline and often attached again; each answer is listed once.
    A file that does not parse, or that is not a REPLY, is no answer: an ordinary
    e-mail with an .ics attachment is left for whoever reads the mailbox.
    """
    sender = _address(message.get("From"))
    answers: dict[tuple[str, str, int, datetime], CalendarAnswer] = {}
    for body in _calendar_parts(message):
        for answer in _answers_in(body, sender):
            answers.setdefault(
                (answer.uid, answer.attendee, answer.sequence, answer.stamped_at), answer
            )
    return list(answers.values())


def _calendar_parts(message: EmailMessage) -> Iterator[bytes]:
    for part in message.walk():
        if part.is_multipart():
            continue
        named_ics = (part.get_filename() or "").lower().endswith(".ics")
        if part.get_content_type() not in _CALENDAR_TYPES and not named_ics:
            continue
        body = part.get_payload(decode=True)
        if isinstance(body, bytes) and body:
            yield body


def _answers_in(body: bytes, sender: str | None) -> Iterator[CalendarAnswer]:
    try:
        calendar = Calendar.from_ical(body)
    except ValueError:
        return
    if str(calendar.get("METHOD", "")).upper() != "REPLY":
        return
    for component in calendar.walk("VEVENT"):
        attendees = component.get("ATTENDEE")
        # RFC 5546: a REPLY carries exactly the one attendee who answers.
        if attendees is None or isinstance(attendees, list):
            continue
        stamp = component.get("DTSTAMP")
        uid = component.get("UID")
        if stamp is None or uid is None or not isinstance(stamp.dt, datetime):
            continue
        address = _mailto(str(attendees))
        if address is None:
            continue
        stamped_at = stamp.dt if stamp.dt.tzinfo is not None else stamp.dt.replace(tzinfo=UTC)
        yield CalendarAnswer(
            uid=str(uid),
            sequence=int(component.get("SEQUENCE", 0)),
            stamped_at=stamped_at.astimezone(UTC),
            attendee=address,
            partstat=str(attendees.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            sender=sender,
        )


def _mailto(value: str) -> str | None:
    scheme, _, address = value.strip().partition(":")
    if scheme.lower() != "mailto" or "@" not in address:
        return None
    return address.strip().lower()


def _address(header: str | None) -> str | None:
    if not header:
        return None
    addresses = [address for _name, address in getaddresses([header]) if "@" in address]
    return addresses[0].strip().lower() if len(addresses) == 1 else None


def _invitation(session: Session, answer: CalendarAnswer) -> Invitation | None:
    event_id = event_id_of_uid(answer.uid)
    if event_id is None:
        return None
    return session.scalar(
        select(Invitation)
        .join(Participant, Invitation.participant_id == Participant.id)
        .where(
            Invitation.event_id == event_id,
            Participant.email_hash == get_cipher().lookup_hash("email", answer.attendee),
            Participant.erased_at.is_(None),
        )
    )


def apply_answer(*, session: Session, answer: CalendarAnswer, over_invite: float) -> AnswerOutcome:
    """Apply one calendar answer, at most once; the caller's transaction commits it."""
    if answer.sender != answer.attendee:
        log.warning(
            "calendar reply ignored: not sent by its attendee",
            extra={"event_id": str(event_id_of_uid(answer.uid))},
        )
        return AnswerOutcome.FOREIGN_SENDER
    invitation = _invitation(session, answer)
    if invitation is None:
        log.warning(
            "calendar reply ignored: no such invitation",
            extra={"event_id": str(event_id_of_uid(answer.uid))},
        )
        return AnswerOutcome.UNKNOWN
    if answer.partstat not in _ANSWERS and answer.partstat != TENTATIVE:
        log.info(
            "calendar reply ignored: not an answer",
            extra={"invitation_id": str(invitation.id), "partstat": answer.partstat[:20]},
        )
        return AnswerOutcome.NOT_AN_ANSWER
    outcome = _apply_once(session, invitation, answer, over_invite)
    log.info(
        "calendar reply",
        extra={
            "invitation_id": str(invitation.id),
            "partstat": answer.partstat,
            "outcome": outcome.value,
            "status": invitation.status.value,
        },
    )
    return outcome


def _apply_once(
    session: Session, invitation: Invitation, answer: CalendarAnswer, over_invite: float
) -> AnswerOutcome:
    record_id = uuid.uuid4()
    # The row goes in first: a concurrent reader of the same reply waits on its unique key
    # and, once this transaction commits, finds it taken.
    inserted = insert_ignoring_conflict(
        session,
        CalendarReply,
        {
            "id": record_id,
            "invitation_id": invitation.id,
            "sequence": answer.sequence,
            "replied_at": answer.stamped_at,
            "answer": answer.partstat.lower(),
            "outcome": "",
            "created_at": datetime.now(UTC),
        },
    )
    if inserted is None:
        return AnswerOutcome.DUPLICATE
    outcome = _outcome(session, invitation, answer, over_invite)
    session.execute(
        update(CalendarReply).where(CalendarReply.id == record_id).values(outcome=outcome.value)
    )
    return outcome


def _outcome(
    session: Session, invitation: Invitation, answer: CalendarAnswer, over_invite: float
) -> AnswerOutcome:
    newer = session.scalar(
        select(CalendarReply.id).where(
            CalendarReply.invitation_id == invitation.id,
            CalendarReply.replied_at > answer.stamped_at,
        )
    )
    if newer is not None:
        return AnswerOutcome.STALE
    if answer.partstat == TENTATIVE:
        return AnswerOutcome.TENTATIVE
    try:
        result = respond(
            session=session,
            invitation_id=invitation.id,
            answer=_ANSWERS[answer.partstat],
            over_invite=over_invite,
        )
    except RsvpClosedError:
        return AnswerOutcome.CLOSED
    return AnswerOutcome.APPLIED if result.changed else AnswerOutcome.UNCHANGED
