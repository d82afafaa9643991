"""The embedded set-up (SQLite, several worker processes, e-mails as files) sends each e-mail
once too, although SQLite has no row locks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from birge_shared.models import Invitation, InvitationStatus, Message, MessageStatus, utcnow
from birge_shared.settings import get_settings
from birge_workers.mail.channel import EmailChannel
from birge_workers.mail.transport import FolderTransport
from birge_workers.outbound.lifecycle import send_chunk
from birge_workers.outbound.release import release_due
from birge_workers.sending.pacing import LocalTokenBucket
from tests.embedded_sqlite import embedded_sqlite
from tests.integration.calendar.conftest import CalendarRows, queue_invitation_emails


def test_three_senders_on_sqlite_write_each_email_once(tmp_path: Path) -> None:
    with embedded_sqlite(tmp_path) as database:
        transaction = database.transaction
        rows = CalendarRows(database.engine)
        event = rows.event()
        invitations = rows.invited(event, 12, status=InvitationStatus.PLANNED)
        with transaction() as session:
            message_ids = queue_invitation_emails(
                session=session, invitation_ids=[invitation.id for invitation in invitations]
            )
        assert len(message_ids) == 12
        folder = tmp_path / "mail"
        written: list[str] = []

        class CountingFolder(FolderTransport):
            def send(
                self, message: EmailMessage, *, handing_over: Callable[[], None] = lambda: None
            ) -> None:
                written.append(str(message["Message-ID"]))
                super().send(message, handing_over=handing_over)

        def work() -> None:
            send_chunk(
                channel=EmailChannel(CountingFolder(folder)),
                transaction=transaction,
                pacer=LocalTokenBucket(1000),
                settings=get_settings(),
                message_ids=message_ids,
            )

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(written) == 12
        assert len(set(written)) == 12
        assert sorted(path.stem for path in folder.iterdir()) == sorted(map(str, message_ids))
        with transaction() as session:
            statuses = session.scalars(select(Message.status).where(Message.id.in_(message_ids)))
            assert set(statuses) == {MessageStatus.SENT}
            # Each invitation reached its person, by e-mail: it is sent, and counts its deadline.
            answers = session.scalars(
                select(Invitation.status).where(Invitation.id.in_([i.id for i in invitations]))
            )
            assert set(answers) == {InvitationStatus.SENT}
            assert release_due(session=session, now=utcnow() + timedelta(hours=1)) == 0
        rows.session.close()
