"""`calendar.read_replies`: read the reply mailbox over IMAP and apply the calendar answers.

Each run logs in (imap-tools), looks at the folder's unseen messages without marking them
seen, and for each one:

- no `METHOD:REPLY` file in it (a person's own e-mail, an out-of-office note, a bounce): left
  exactly as it was, unseen and unflagged, for whoever reads the mailbox;
- a reply: every answer in it is applied in its own transaction
  (`birge_shared.calendar_replies.apply_answer`), and only then is the message marked seen.
  Replies that answer nothing Birge knows (another UID, an attendee not invited, a From that
  is not the attendee) are marked seen too: they were read and decided on, and reading them
  again would decide the same.

A worker that dies after a commit and before the flag reads the message again next time; the
answer's row in `calendar_reply` makes that second reading change nothing. A database error
leaves the message unseen, so the next run tries it again. Nothing is deleted or moved.

Two runs at once (a second beat) read the same messages; the same row keeps the answer single,
so the run needs no slot of its own.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

from celery import Celery
from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted, MailMessageFlags
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from birge_shared.calendar_replies import AnswerOutcome, apply_answer, read_answers
from birge_shared.db import session_scope
from birge_shared.settings import Settings, get_settings
from birge_shared.tasks import CALENDAR_READ_REPLIES

log = logging.getLogger(__name__)

#: Messages looked at per run: a flood of mail waits for the next run instead of one long one.
MESSAGES_PER_RUN = 200
#: Seconds an IMAP command may take before the run gives up until the next one.
IMAP_TIMEOUT = 30.0

Sessions = Callable[[], AbstractContextManager[Session]]


def open_mailbox(settings: Settings) -> BaseMailBox:
    """Logged in to the reply mailbox, in its folder."""
    host = settings.calendar_reply_imap_host or ""
    port = settings.calendar_reply_imap_port
    mailbox: BaseMailBox = (
        MailBox(host, port, timeout=IMAP_TIMEOUT)
        if settings.calendar_reply_imap_tls
        else MailBoxUnencrypted(host, port, timeout=IMAP_TIMEOUT)
    )
    return mailbox.login(
        settings.calendar_reply_imap_user or "",
        settings.calendar_reply_imap_password.get_secret_value(),
        initial_folder=settings.calendar_reply_imap_folder,
    )


def read_replies(*, mailbox: BaseMailBox, sessions: Sessions, settings: Settings) -> Counter[str]:
    """Apply the answers in the folder's unseen replies; count messages and outcomes."""
    counts: Counter[str] = Counter()
    for message in mailbox.fetch(
        AND(seen=False), mark_seen=False, limit=MESSAGES_PER_RUN, bulk=True
    ):
        answers = read_answers(message.obj)
        if not answers:
            counts["left_alone"] += 1
            continue
        try:
            for answer in answers:
                with sessions() as session:
                    outcome = apply_answer(
                        session=session, answer=answer, over_invite=settings.over_invite_factor
                    )
                counts[outcome.value] += 1
        except SQLAlchemyError:
            # Left unseen: the next run reads it again, and what was applied stays single.
            log.exception("calendar reply not applied: database error")
            counts["retry"] += 1
            continue
        if message.uid is not None:
            mailbox.flag([message.uid], MailMessageFlags.SEEN, True)
        counts["replies"] += 1
    return counts


def calendar_read_replies() -> dict[str, int] | None:
    """Read the reply mailbox once; None when no reply mailbox is configured."""
    settings = get_settings()
    if not settings.reads_calendar_replies:
        return None
    with open_mailbox(settings) as mailbox:
        counts = read_replies(mailbox=mailbox, sessions=session_scope, settings=settings)
    applied = counts[AnswerOutcome.APPLIED.value]
    log.info("calendar replies read", extra={"counts": dict(counts), "applied": applied})
    return dict(counts)


def register_calendar_reply_tasks(app: Celery) -> None:
    app.task(name=CALENDAR_READ_REPLIES)(calendar_read_replies)
