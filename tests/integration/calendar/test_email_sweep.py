"""An e-mail left `sending` by a worker that died is settled by the record of its hand-over.

SMTP has no record a client can ask for, so the send marks the moment before DATA; the
sweeper sends again an e-mail that never reached it, and counts as sent one that did.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from birge_shared.db import session_scope
from birge_shared.models import MessageStatus, utcnow
from birge_shared.settings import get_settings
from birge_shared.tasks import EmailSend
from birge_workers.mail.channel import EmailChannel
from birge_workers.mail.transport import SmtpTransport, parse_smtp_url
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.outbound.sweeper import STUCK_AFTER, Settled, sweep_in_flight
from birge_workers.outbound.tasks import email_send
from birge_workers.sending.pacing import LocalTokenBucket
from tests.integration.calendar.conftest import CalendarRows, Mailbox, start_controller
from tests.integration.calendar.test_smtp import planned_invitation_email


class WorkerDied(BaseException):
    """What a SIGKILL does to the send: nothing after it runs, not even its error handling."""


class DyingTransport:
    """Dies in the middle of a send: before the hand-over to DATA, or just after it."""

    def __init__(self, *, after_hand_over: bool) -> None:
        self.after_hand_over = after_hand_over

    def send(
        self, message: EmailMessage, *, handing_over: Callable[[], None] = lambda: None
    ) -> None:
        if self.after_hand_over:
            handing_over()
        raise WorkerDied

    def close(self) -> None:
        return None


def _die_while_sending(message_id: str, *, after_hand_over: bool) -> None:
    with pytest.raises(WorkerDied):
        send_chunk(
            channel=EmailChannel(DyingTransport(after_hand_over=after_hand_over)),
            message_ids=[uuid.UUID(message_id)],
            transaction=session_scope,
            pacer=LocalTokenBucket(1000),
            settings=get_settings(),
        )


def _sweep() -> dict[Settled, int]:
    swept = sweep_in_flight(
        transaction=session_scope,
        channels=[EmailChannel(DyingTransport(after_hand_over=False))],
        settings=get_settings(),
        now=utcnow() + STUCK_AFTER + dt.timedelta(seconds=1),
    )
    assert swept is not None
    return dict(swept)


def test_an_email_that_never_reached_data_is_sent_again_once(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    message_id = planned_invitation_email(rows, "before@example.org")
    _die_while_sending(message_id, after_hand_over=False)
    stuck = rows.message(message_id)
    assert stuck.status is MessageStatus.SENDING
    assert stuck.sent_at is None

    assert _sweep() == {Settled.RETRY: 1}
    assert rows.message(message_id).status is MessageStatus.PLANNED
    (queued,) = rows.outbox(EmailSend)
    assert queued.payload == {"message_ids": [message_id]}

    assert email_send([message_id]) == {"sent": 1}
    assert len(smtp.to("before@example.org")) == 1
    assert rows.message(message_id).attempts == 2


def test_an_email_handed_to_data_counts_as_sent_and_is_not_sent_twice(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    message_id = planned_invitation_email(rows, "after@example.org")
    _die_while_sending(message_id, after_hand_over=True)
    handed = rows.message(message_id)
    assert handed.status is MessageStatus.SENDING
    assert handed.sent_at is not None

    assert _sweep() == {Settled.FOUND: 1}
    settled = rows.message(message_id)
    assert settled.status is MessageStatus.SENT
    assert settled.sent_at == handed.sent_at
    assert rows.outbox(EmailSend) == []
    # A second sweep, or a late duplicate of its task, sends nothing.
    assert _sweep() == {}
    assert email_send([message_id]) == {"not_planned": 1}
    assert smtp.to("after@example.org") == []


class SlowToAnswerData(Mailbox):
    """A server that takes the message and answers DATA too late for the client (a slow
    content filter): it has the e-mail, and the sender never heard so."""

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(STALL_SECONDS)
        return answer


STALL_SECONDS = 5.0


def test_an_email_whose_data_went_unanswered_is_left_for_the_sweeper_not_sent_again(
    rows: CalendarRows,
) -> None:
    message_id = planned_invitation_email(rows, "slow@example.org")
    mailbox = SlowToAnswerData()
    controller, port = start_controller(mailbox)
    try:
        transport = SmtpTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}"), timeout=1.0)
        outcomes = send_chunk(
            channel=EmailChannel(transport),
            message_ids=[uuid.UUID(message_id)],
            transaction=session_scope,
            pacer=LocalTokenBucket(1000),
            settings=get_settings(),
        )
    finally:
        controller.stop()
    # Timed out after DATA: the server may have it, so it is not retried.
    assert outcomes == {Outcome.IN_DOUBT: 1}
    stuck = rows.message(message_id)
    assert stuck.status is MessageStatus.SENDING
    assert stuck.sent_at is not None
    assert rows.outbox(EmailSend) == []
    assert len(mailbox.to("slow@example.org")) == 1

    assert _sweep() == {Settled.FOUND: 1}
    assert rows.message(message_id).status is MessageStatus.SENT
    assert rows.outbox(EmailSend) == []
