"""E-mail as a channel of the one lifecycle: the calendar message through SMTP.

It also carries the survey links (post-event and follow-up) to people with an e-mail address
and no phone: a plain e-mail with the personal link (`birge_shared.mail.survey`).

What is e-mail's own: an address, a MIME message with its calendar part built from the event
as it is now, no pacer (the SMS rate is not the mail server's), no quiet hours (an e-mail does
not ring a phone on arrival), one SMTP connection per chunk (so one send at a time), and a
calendar that still serves someone who already said yes.

Settling a message left `sending` (a worker died mid-send): SMTP keeps no record a client can
ask for, so the record is ours. Just before DATA — once the server has taken sender and
recipient, the last moment at which the message surely has not been handed over — the send
commits `sent_at` on the row. The sweeper goes by that mark: without it the message never
reached DATA and is sent again; with it the server may have it, and it counts as sent. A send
that breaks off after DATA began (a timeout, a dropped connection: the server's answer never
read) is left `sending` for the same rule rather than retried. The one case this gets wrong
is a worker that dies (or a server that stalls) after the mark but before the server took the
data: that e-mail is lost rather than sent twice, the same choice SMS makes for a timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session

from birge_shared.calendar import Recipient
from birge_shared.crypto import get_cipher
from birge_shared.mail.invitation import build_event_email
from birge_shared.mail.survey import build_survey_email
from birge_shared.models import Message, MessageChannel, MessageStatus, Participant
from birge_shared.outbound.channels import SURVEY_EMAIL_PURPOSES
from birge_shared.settings import Settings
from birge_workers.mail.transport import MailError, MailTransport
from birge_workers.outbound.channel import (
    ChannelRows,
    Composed,
    Facts,
    InFlight,
    Settlement,
    own_receipt,
    settle_by_hand_over,
)
from birge_workers.outbound.provider import (
    PermanentProviderError,
    SentMessage,
    TemporaryProviderError,
)

#: Tries per e-mail before a temporary failure counts as final.
EMAIL_MAX_ATTEMPTS = 6
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=2)


class EmailChannel:
    channel = MessageChannel.EMAIL
    quiet_hours = False
    paced = False
    keeps_calendar = True
    #: One SMTP session serves the chunk, and a session is one conversation at a time.
    concurrency = 1

    def __init__(self, transport: MailTransport) -> None:
        self._transport = transport

    def max_attempts(self, settings: Settings) -> int:
        return EMAIL_MAX_ATTEMPTS

    def backoff(self) -> tuple[timedelta, timedelta]:
        return RETRY_FIRST, RETRY_MAX

    def has_address(self, participant: Participant, rows: ChannelRows) -> bool:
        return participant.email_encrypted is not None

    def address(self, participant: Participant, rows: ChannelRows) -> str | None:
        if participant.email_encrypted is None:
            return None
        return get_cipher().decrypt(participant.email_encrypted)

    def compose(
        self, *, message: Message, facts: Facts, settings: Settings, now: datetime
    ) -> Composed:
        invitation, event, person = facts.invitation, facts.event, facts.participant
        email = self.address(person, facts.rows)
        # The still-wanted rules refuse an e-mail without these.
        assert invitation is not None
        assert event is not None
        assert email is not None
        cipher = get_cipher()
        name = cipher.decrypt(person.name_encrypted) if person.name_encrypted else None
        try:
            if message.purpose in SURVEY_EMAIL_PURPOSES:
                survey = build_survey_email(
                    purpose=message.purpose,
                    event=event,
                    token=invitation.token,
                    language=person.language,
                    email=email,
                    name=name,
                    message_id=message.id,
                    now=now,
                    public_base_url=settings.public_base_url,
                    mail_from=settings.mail_from,
                )
                return Composed(message_id=message.id, content=survey)
            built = build_event_email(
                purpose=message.purpose,
                event=event,
                recipient=Recipient(
                    token=invitation.token,
                    language=person.language,
                    invitation_status=invitation.status,
                    email=email,
                    name=name,
                ),
                message_id=message.id,
                now=now,
                public_base_url=settings.public_base_url,
                mail_from=settings.mail_from,
                reply_address=settings.calendar_reply_address,
                changes=facts.changes,
            )
        except ValueError as exc:
            # Only the type of the error is kept, since its text could quote the address.
            raise PermanentProviderError(
                "invalid", f"the e-mail could not be built ({type(exc).__name__})"
            ) from None
        return Composed(message_id=message.id, content=built)

    def send(
        self, composed: Composed, *, handing_over: Callable[[], None], now: datetime
    ) -> SentMessage:
        message = composed.content
        assert isinstance(message, EmailMessage)
        try:
            self._transport.send(message, handing_over=handing_over)
        except MailError as error:
            if error.temporary:
                # Broken off after DATA began: left in flight, and the sweeper goes by the
                # hand-over record instead of sending it a second time.
                raise TemporaryProviderError(
                    error.code, error.reason, may_have_been_sent=error.may_have_been_sent
                ) from None
            raise PermanentProviderError(error.code, error.reason) from None
        # SMTP gives no id of its own that a client can keep; the message's id is the one in
        # its Message-ID header, which the receiving side keeps.
        return own_receipt(composed.message_id)

    def receipt_status(self, receipt: SentMessage) -> MessageStatus:
        return MessageStatus.SENT

    def settle(self, in_flight: InFlight) -> Settlement:
        return settle_by_hand_over(in_flight)

    def after_refusal(
        self,
        *,
        session: Session,
        message: Message,
        error: PermanentProviderError,
        now: datetime,
        settings: Settings,
    ) -> None:
        """A refused address says nothing about the person's other channels."""

    def close(self) -> None:
        self._transport.close()
