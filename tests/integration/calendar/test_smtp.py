"""`email.send` against a real SMTP server: TLS, logins, refusals, retries, the local folder."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update

from birge_shared.crypto import get_cipher
from birge_shared.db import session_scope
from birge_shared.models import (
    Invitation,
    InvitationStatus,
    Message,
    MessageStatus,
    OutboxEntry,
    Participant,
    utcnow,
)
from birge_shared.settings import get_settings
from birge_shared.tasks import EmailSend
from birge_workers.mail.channel import EMAIL_MAX_ATTEMPTS, EmailChannel
from birge_workers.mail.transport import MailError, SmtpTransport, parse_smtp_url
from birge_workers.outbound.lifecycle import send_chunk
from birge_workers.outbound.release import LOST_AFTER, release_due
from birge_workers.outbound.tasks import email_send
from birge_workers.sending.pacing import LocalTokenBucket
from tests.integration.calendar.conftest import (
    CalendarRows,
    Mailbox,
    calendar_of,
    queue_invitation_emails,
    start_controller,
)
from tests.ports import free_port

USER, PASSWORD = "birge", "s3cret pass"


def planned_invitation_email(rows: CalendarRows, address: str | None = None) -> str:
    event = rows.event()
    participant = rows.participant(email=address or "aigul@example.org")
    with rows.fresh() as session:
        invitation = Invitation(
            event_id=event.id, participant_id=participant.id, status=InvitationStatus.PLANNED
        )
        session.add(invitation)
        session.flush()
        (message_id,) = queue_invitation_emails(session=session, invitation_ids=[invitation.id])
        session.commit()
    ((queued,),) = rows.email_sends()
    assert queued == str(message_id)
    return str(message_id)


def no_address_logged(caplog: pytest.LogCaptureFixture, address: str) -> None:
    # Birge's own records; the test server's debug log quotes the SMTP dialogue.
    for record in caplog.records:
        if not record.name.startswith("birge"):
            continue
        assert address not in record.getMessage()
        assert address not in repr(record.__dict__)


# ------------------------------------------------------------------ refusals and retries


def test_a_temporary_refusal_is_retried_later_and_then_sent(
    rows: CalendarRows, smtp: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    address = "busy@example.org"
    message_id = planned_invitation_email(rows, address)
    smtp.temporary.add(address)

    assert email_send([message_id])["retry"] == 1
    message = rows.message(message_id)
    assert message.status is MessageStatus.PLANNED
    assert message.attempts == 1
    assert message.error_code == "451"
    assert message.error_reason == "recipient temporarily refused (4.3.0)"
    assert message.not_before is not None
    # The table is the timer: the release queues the retry once its wait is over.
    assert rows.outbox(EmailSend) == []
    with rows.fresh() as session:
        assert release_due(session=session, now=message.not_before) == 1
        session.commit()
    (retry,) = rows.outbox(EmailSend)
    assert retry.payload == {"message_ids": [message_id]}
    # Delivered early (a duplicate task), it waits.
    with rows.fresh() as session:
        session.execute(
            update(Message)
            .where(Message.id == uuid.UUID(message_id))
            .values(not_before=message.not_before)
        )
        session.commit()
    assert email_send([message_id]) == {"not_due": 1}

    smtp.temporary.clear()
    with time_machine.travel(message.not_before + dt.timedelta(seconds=1), tick=False):
        assert email_send([message_id])["sent"] == 1
    message = rows.message(message_id)
    assert message.status is MessageStatus.SENT
    assert message.attempts == 2
    assert message.error_code is None
    assert len(smtp.to(address)) == 1
    no_address_logged(caplog, address)


def test_temporary_refusals_give_up_after_the_bound(rows: CalendarRows, smtp: Mailbox) -> None:
    address = "always-busy@example.org"
    message_id = planned_invitation_email(rows, address)
    smtp.temporary.add(address)

    for attempt in range(1, EMAIL_MAX_ATTEMPTS + 1):
        message = rows.message(message_id)
        moment = message.not_before or utcnow()
        with time_machine.travel(moment + dt.timedelta(seconds=1), tick=False):
            outcome = email_send([message_id])
        expected = "failed" if attempt == EMAIL_MAX_ATTEMPTS else "retry"
        assert outcome[expected] == 1, attempt
    message = rows.message(message_id)
    assert message.status is MessageStatus.FAILED
    assert message.attempts == EMAIL_MAX_ATTEMPTS
    assert message.error_code == "451"
    assert smtp.received == []


def test_a_permanent_refusal_fails_with_the_code_and_without_the_address(
    rows: CalendarRows, smtp: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    address = "nobody@example.org"
    message_id = planned_invitation_email(rows, address)
    smtp.permanent.add(address)

    assert email_send([message_id])["failed"] == 1
    message = rows.message(message_id)
    assert message.status is MessageStatus.FAILED
    assert message.error_code == "550"
    assert message.error_reason == "recipient permanently refused (5.1.1)"
    assert rows.email_sends() == []
    # Failed is final: running again sends nothing.
    assert email_send([message_id]) == {"not_planned": 1}
    assert smtp.received == []
    no_address_logged(caplog, address)


def test_an_unreachable_server_is_a_temporary_failure(
    rows: CalendarRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "smtp_url", f"smtp://127.0.0.1:{free_port()}")
    message_id = planned_invitation_email(rows)

    assert email_send([message_id])["retry"] == 1
    message = rows.message(message_id)
    assert message.status is MessageStatus.PLANNED
    assert message.error_code == "connection"


def test_one_connection_serves_a_chunk_and_a_refusal_does_not_stop_the_rest(
    rows: CalendarRows, smtp: Mailbox
) -> None:
    event = rows.event()
    invitations = rows.invited(event, 5, status=InvitationStatus.PLANNED)
    with rows.fresh() as session:
        ids = queue_invitation_emails(
            session=session, invitation_ids=[invitation.id for invitation in invitations]
        )
        session.commit()
    (chunk,) = rows.email_sends()
    refused = rows.message(ids[2])
    with rows.fresh() as session:
        person = session.get(Participant, refused.participant_id)
        assert person is not None
        assert person.email_encrypted is not None
        smtp.permanent.add(get_cipher().decrypt(person.email_encrypted))

    assert email_send(chunk) == {"sent": 4, "failed": 1}
    assert len(smtp.received) == 4


# ------------------------------------------------------------------ the local folder


def test_without_smtp_url_emails_go_to_var_mail(
    rows: CalendarRows, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(get_settings(), "smtp_url", None)
    monkeypatch.chdir(tmp_path)
    message_id = planned_invitation_email(rows)

    assert email_send([message_id])["sent"] == 1
    (written,) = (tmp_path / "var" / "mail").iterdir()
    assert written.name == f"{message_id}.eml"
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    method, read = calendar_of(message)
    # No reply mailbox configured here: the invitation is published and asks for no answer.
    assert method == read.method == "PUBLISH"
    assert not {"organizer", "attendee"} & set(read.calendar.vevent.contents)
    assert rows.message(message_id).status is MessageStatus.SENT


# ------------------------------------------------------------------ lost tasks


def test_a_planned_email_whose_task_was_lost_is_queued_again(rows: CalendarRows) -> None:
    message_id = planned_invitation_email(rows)
    with rows.fresh() as session:
        assert release_due(session=session, now=utcnow()) == 0
        later = utcnow() + LOST_AFTER + dt.timedelta(seconds=1)
        assert release_due(session=session, now=later) >= 1
        session.commit()
    assert [message_id] in rows.email_sends()
    with rows.fresh() as session:
        # Touched by the release: not queued again at once.
        assert release_due(session=session, now=later) == 0
        session.rollback()


# ------------------------------------------------------------------ TLS and logins


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made on the spot."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _contexts(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert_path, key_path = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


@pytest.fixture
def tls_mailbox() -> Mailbox:
    return Mailbox()


def _send_one(
    rows: CalendarRows, transport: SmtpTransport, message_id: str | None = None
) -> MessageStatus:
    message_id = message_id or planned_invitation_email(rows)
    send_chunk(
        channel=EmailChannel(transport),
        transaction=session_scope,
        pacer=LocalTokenBucket(1000),
        settings=get_settings(),
        message_ids=[uuid.UUID(message_id)],
    )
    return rows.message(message_id).status


def test_starttls_with_a_login(
    rows: CalendarRows, certificate: tuple[Path, Path], tls_mailbox: Mailbox
) -> None:
    server_context, client_context = _contexts(certificate)
    controller, port = start_controller(
        tls_mailbox,
        tls_context=server_context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    try:
        config = parse_smtp_url(f"smtp+starttls://{USER}:s3cret%20pass@127.0.0.1:{port}")
        transport = SmtpTransport(config, timeout=5, context=client_context)
        assert _send_one(rows, transport) is MessageStatus.SENT
    finally:
        controller.stop()
    assert len(tls_mailbox.received) == 1


def test_implicit_tls_with_a_login(
    rows: CalendarRows, certificate: tuple[Path, Path], tls_mailbox: Mailbox
) -> None:
    server_context, client_context = _contexts(certificate)
    controller, port = start_controller(
        tls_mailbox,
        ssl_context=server_context,
        authenticator=_authenticator,
        # aiosmtpd offers AUTH "over TLS" only after STARTTLS; the whole session is TLS here.
        auth_require_tls=False,
    )
    try:
        config = parse_smtp_url(f"smtps://{USER}:s3cret%20pass@127.0.0.1:{port}")
        transport = SmtpTransport(config, timeout=5, context=client_context)
        assert _send_one(rows, transport) is MessageStatus.SENT
    finally:
        controller.stop()
    assert len(tls_mailbox.received) == 1


def test_a_wrong_password_waits_for_the_fix(rows: CalendarRows, tls_mailbox: Mailbox) -> None:
    controller, port = start_controller(
        # AUTH is offered without TLS here only to test a refused login over a plain session.
        tls_mailbox,
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    try:
        message_id = planned_invitation_email(rows)
        wrong = SmtpTransport(parse_smtp_url(f"smtp://{USER}:wrong@127.0.0.1:{port}"))
        assert _send_one(rows, wrong, message_id) is MessageStatus.PLANNED
        message = rows.message(message_id)
        assert message.error_code == "535"
        assert message.not_before is not None
        # Released when its wait is over, like every retry.
        with rows.fresh() as session:
            assert release_due(session=session, now=message.not_before) == 1
            session.commit()
        assert rows.email_sends() == [[message_id]]
        right = SmtpTransport(parse_smtp_url(f"smtp://{USER}:s3cret%20pass@127.0.0.1:{port}"))
        with time_machine.travel(message.not_before, tick=False):
            status = _send_one(rows, right, message_id)
    finally:
        controller.stop()
    assert status is MessageStatus.SENT
    assert len(tls_mailbox.received) == 1


def test_a_server_without_tls_is_refused_by_starttls(
    rows: CalendarRows, smtp_server: Any, certificate: tuple[Path, Path]
) -> None:
    _, client_context = _contexts(certificate)
    transport = SmtpTransport(
        parse_smtp_url(f"smtp+starttls://127.0.0.1:{smtp_server.port}"),
        timeout=5,
        context=client_context,
    )
    with pytest.raises(MailError) as caught:
        transport.send(EmailMessage())
    assert caught.value.temporary is True
    assert smtp_server.mailbox.received == []


def test_outbox_entries_for_retries_carry_ids_only(rows: CalendarRows, smtp: Mailbox) -> None:
    address = "busy-again@example.org"
    message_id = planned_invitation_email(rows, address)
    smtp.temporary.add(address)
    email_send([message_id])
    with rows.fresh() as session:
        payloads = [
            entry.payload
            for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.id > rows.outbox_after)
            )
        ]
    assert payloads
    assert all(address not in repr(payload) for payload in payloads)
