"""Calendar answers read from a real IMAP server (Dovecot) and applied like the page's.

The replies are appended over IMAP as the participant's calendar would send them (Outlook,
Gmail, Apple Calendar: `replies.py`); `calendar.read_replies` runs as the worker runs it, with
the settings pointing at the server the test started; the rows it changes are committed for
real and read back through a fresh session.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import func, select

from birge_shared.calendar import event_uid
from birge_shared.db import session_scope
from birge_shared.invitations import Answer, respond
from birge_shared.models import (
    CalendarReply,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_workers.calendar_replies import calendar_read_replies, read_replies
from tests.factories import make_invitation
from tests.integration.calendar.conftest import REPLY_ADDRESS, CalendarRows
from tests.integration.calendar.dovecot import ImapServer, dovecot, reply_mailbox
from tests.integration.calendar.replies import (
    apple_reply,
    gmail_reply,
    ordinary_email,
    outlook_reply,
)

__all__ = ["dovecot"]  # the module-scoped server fixture, used by `mailbox` below

SEEN = ("\\Seen",)
UNTOUCHED: tuple[str, ...] = ()
Reply = Callable[..., bytes]


@pytest.fixture
def mailbox(dovecot: ImapServer, monkeypatch: pytest.MonkeyPatch) -> ImapServer:
    """The reply mailbox configured for this test, and empty."""
    return reply_mailbox(dovecot, monkeypatch, address=REPLY_ADDRESS)


def invited(
    rows: CalendarRows,
    *,
    status: InvitationStatus = InvitationStatus.SENT,
    event_status: EventStatus = EventStatus.SCHEDULED,
) -> tuple[Event, Invitation, str]:
    """An event, one person invited by e-mail with `status`, and their address."""
    event = rows.event()
    if event_status is not EventStatus.SCHEDULED:
        event.status = event_status
        event.cancelled_at = utcnow()
        rows.session.commit()
    address = f"aigul-{uuid.uuid4().hex[:10]}@example.org"
    participant = rows.participant(email=address)
    invitation = make_invitation(rows.session, event=event, participant=participant, status=status)
    rows.session.commit()
    return event, invitation, address


def reply(
    build: Reply,
    event: Event,
    address: str,
    partstat: str,
    stamped_at: datetime,
    **options: Any,
) -> bytes:
    return build(
        uid=event_uid(event),
        attendee=address,
        partstat=partstat,
        starts_at=event.starts_at,
        stamped_at=stamped_at,
        sequence=event.sequence,
        **options,
    )


def status_of(rows: CalendarRows, invitation: Invitation) -> InvitationStatus:
    with rows.fresh() as session:
        found = session.get(Invitation, invitation.id)
        assert found is not None
        return found.status


def recorded(rows: CalendarRows, invitation: Invitation) -> list[tuple[str, str]]:
    with rows.fresh() as session:
        return [
            (row.answer, row.outcome)
            for row in session.scalars(
                select(CalendarReply)
                .where(CalendarReply.invitation_id == invitation.id)
                .order_by(CalendarReply.replied_at)
            )
        ]


def test_an_outlook_accept_is_applied_once_when_the_same_reply_arrives_twice(
    rows: CalendarRows, mailbox: ImapServer
) -> None:
    event, invitation, address = invited(rows)
    answered_at = utcnow().replace(microsecond=0)
    # Outlook keeps the address as the person typed it, and writes MAILTO in capitals.
    accept = reply(outlook_reply, event, address.upper(), "ACCEPTED", answered_at)
    again = reply(outlook_reply, event, address.upper(), "ACCEPTED", answered_at)
    mailbox.append(ordinary_email(), accept, again)

    counts = calendar_read_replies()

    assert counts == {"left_alone": 1, "applied": 1, "duplicate": 1, "replies": 2}
    assert status_of(rows, invitation) is InvitationStatus.ACCEPTED
    assert recorded(rows, invitation) == [("accepted", "applied")]
    # The person's own e-mail stays unread for whoever reads the mailbox; replies are done.
    assert mailbox.flags() == [UNTOUCHED, SEEN, SEEN]

    # The next run finds nothing new: the unseen e-mail is looked at and left again.
    assert calendar_read_replies() == {"left_alone": 1}
    assert status_of(rows, invitation) is InvitationStatus.ACCEPTED
    with rows.fresh() as session:
        held = session.scalar(
            select(func.count()).where(
                Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED
            )
        )
    assert held == 1


class _KilledBeforeFlagging(MailBoxUnencrypted):
    """A worker that dies after committing an answer and before flagging its e-mail."""

    def flag(self, *args: Any, **kwargs: Any) -> Any:
        raise SystemExit("worker killed")


def test_a_reply_read_again_after_a_crash_changes_nothing(
    rows: CalendarRows, mailbox: ImapServer
) -> None:
    event, invitation, address = invited(rows)
    mailbox.append(reply(outlook_reply, event, address, "ACCEPTED", utcnow()))
    crashing = _KilledBeforeFlagging(mailbox.host, mailbox.port).login(
        mailbox.user, mailbox.password
    )
    with pytest.raises(SystemExit), crashing:
        read_replies(mailbox=crashing, sessions=session_scope, settings=get_settings())
    assert status_of(rows, invitation) is InvitationStatus.ACCEPTED
    assert mailbox.flags() == [UNTOUCHED]

    # Meanwhile the person changes their mind on the page.
    with rows.fresh() as session:
        respond(session=session, invitation_id=invitation.id, answer=Answer.DECLINE)
        session.commit()

    # The restarted worker reads the accept again: it was applied once already.
    assert calendar_read_replies() == {"duplicate": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.DECLINED
    assert recorded(rows, invitation) == [("accepted", "applied")]
    assert mailbox.flags() == [SEEN]


def test_a_gmail_decline_frees_the_seat_once_though_the_file_comes_twice(
    rows: CalendarRows, mailbox: ImapServer
) -> None:
    event, invitation, address = invited(rows, status=InvitationStatus.ACCEPTED)
    mailbox.append(reply(gmail_reply, event, address, "DECLINED", utcnow()))

    # Inline and attached: one answer, not a duplicate of itself.
    assert calendar_read_replies() == {"applied": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.DECLINED
    assert mailbox.flags() == [SEEN]


def test_an_apple_maybe_keeps_the_invitation_open(rows: CalendarRows, mailbox: ImapServer) -> None:
    event, invitation, address = invited(rows)
    mailbox.append(reply(apple_reply, event, address, "TENTATIVE", utcnow()))

    assert calendar_read_replies() == {"tentative": 1, "replies": 1}
    # The page knows only yes and no: the seat stays held until the answer deadline.
    assert status_of(rows, invitation) is InvitationStatus.SENT
    assert recorded(rows, invitation) == [("tentative", "tentative")]
    assert mailbox.flags() == [SEEN]


def test_an_apple_accept_is_applied(rows: CalendarRows, mailbox: ImapServer) -> None:
    event, invitation, address = invited(rows)
    mailbox.append(reply(apple_reply, event, address, "ACCEPTED", utcnow()))

    assert calendar_read_replies() == {"applied": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.ACCEPTED


def test_a_reply_not_sent_by_its_attendee_is_ignored_without_naming_anyone(
    rows: CalendarRows, mailbox: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    event, invitation, address = invited(rows, status=InvitationStatus.ACCEPTED)
    forged = reply(
        outlook_reply, event, address, "DECLINED", utcnow(), sender="mallory@example.net"
    )
    mailbox.append(forged)

    with caplog.at_level(logging.INFO):
        assert calendar_read_replies() == {"foreign_sender": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.ACCEPTED
    assert recorded(rows, invitation) == []
    assert mailbox.flags() == [SEEN]
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "mallory" not in logged
    assert address not in logged
    assert "calendar reply ignored" in logged


def test_replies_to_nothing_of_ours_are_ignored(rows: CalendarRows, mailbox: ImapServer) -> None:
    event, invitation, address = invited(rows)
    stranger = reply(gmail_reply, event, "stranger@example.org", "ACCEPTED", utcnow())
    other_uid = gmail_reply(
        uid="040000008200E00074C5B7101A82E008@example.com",
        attendee=address,
        partstat="ACCEPTED",
        starts_at=event.starts_at,
        stamped_at=utcnow(),
    )
    mailbox.append(stranger, other_uid)

    assert calendar_read_replies() == {"unknown": 2, "replies": 2}
    assert status_of(rows, invitation) is InvitationStatus.SENT
    assert mailbox.flags() == [SEEN, SEEN]


def test_a_cancelled_event_takes_no_answer_as_on_the_page(
    rows: CalendarRows, mailbox: ImapServer
) -> None:
    event, invitation, address = invited(
        rows, status=InvitationStatus.ACCEPTED, event_status=EventStatus.CANCELLED
    )
    mailbox.append(reply(outlook_reply, event, address, "DECLINED", utcnow()))

    assert calendar_read_replies() == {"closed": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.ACCEPTED
    assert recorded(rows, invitation) == [("declined", "closed")]


def test_a_decline_after_the_deadline_is_taken_as_on_the_page(
    rows: CalendarRows, mailbox: ImapServer
) -> None:
    event, invitation, address = invited(rows, status=InvitationStatus.EXPIRED)
    mailbox.append(reply(gmail_reply, event, address, "DECLINED", utcnow()))

    # The page still takes an answer for an expired invitation: a decline is recorded.
    assert calendar_read_replies() == {"applied": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.DECLINED


def test_an_older_reply_arriving_late_does_not_undo_a_newer_one(
    rows: CalendarRows, mailbox: ImapServer
) -> None:
    event, invitation, address = invited(rows)
    first = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    mailbox.append(reply(gmail_reply, event, address, "DECLINED", first + timedelta(minutes=2)))
    assert calendar_read_replies() == {"applied": 1, "replies": 1}

    mailbox.append(reply(gmail_reply, event, address, "ACCEPTED", first))
    assert calendar_read_replies() == {"stale": 1, "replies": 1}
    assert status_of(rows, invitation) is InvitationStatus.DECLINED


def test_without_a_reply_mailbox_the_task_does_nothing(
    dovecot: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "calendar_reply_address", None)
    assert calendar_read_replies() is None
