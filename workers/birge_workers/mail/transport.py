"""Where e-mails go: one small Protocol, an SMTP transport and a local folder.

`SMTP_URL` chooses the transport:

- `smtp://host:25` plain SMTP (a relay on a trusted network),
- `smtp+starttls://user:password@host:587` upgraded to TLS with STARTTLS,
- `smtps://user:password@host:465` TLS from the first byte,

with a login when the URL carries a user. Without `SMTP_URL` (the local default) nothing
leaves the machine: each e-mail is written as an `.eml` file under var/mail/, where any mail
program opens it, calendar invitation included.

A failure is temporary (4xx replies, a refused or dropped connection, a timeout: try again
later) or permanent (5xx replies: this message will never be accepted).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import unquote, urlsplit

from birge_shared.private_files import private_folder, write_private_bytes
from birge_shared.settings import Settings

log = logging.getLogger(__name__)

#: The local stand-in for a mail server: one `.eml` file per e-mail.
MAIL_FOLDER = Path("var/mail")
#: Seconds to wait for the server to connect and to answer each command; a stuck server must
#: not hold a worker process.
SMTP_TIMEOUT = 30.0

_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
# An enhanced status code (RFC 3463), like 5.1.1: the reason without the server's free text,
# which may quote the recipient's address.
_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


class MailError(Exception):
    """Sending failed. The text is ours and carries no address or server reply text.

    `may_have_been_sent` is true when the conversation broke off (a timeout, a dropped
    connection) after DATA began and before the server's answer was read: the server may have
    taken the message, so sending it again could deliver it twice.
    """

    def __init__(
        self, *, code: str, reason: str, temporary: bool, may_have_been_sent: bool = False
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.temporary = temporary
        self.may_have_been_sent = may_have_been_sent


def _nothing() -> None:
    return None


class MailTransport(Protocol):
    def send(self, message: EmailMessage, *, handing_over: Callable[[], None] = _nothing) -> None:
        """Hand over one message; raises `MailError` if it was not accepted.

        `handing_over` is called at the last moment before which the message surely has not
        been handed over: just before SMTP's DATA, when the server has taken sender and
        recipient. Before it nothing was delivered; after it the server may have the message.
        """
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    mode: str  # "plain", "starttls" or "tls"
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read `SMTP_URL`; the error never repeats the URL, which may hold a password."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host")
    try:
        port = parts.port or _SCHEMES[scheme]
    except ValueError:
        raise ValueError("SMTP_URL has an invalid port") from None
    mode = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[scheme]
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        mode=mode,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _reply_error(code: int, reply: bytes | str, what: str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    enhanced = _ENHANCED.search(text)
    detail = f" ({enhanced.group(1)})" if enhanced else ""
    temporary = 400 <= code < 500
    kind = "temporarily" if temporary else "permanently"
    return MailError(code=str(code), reason=f"{what} {kind} refused{detail}", temporary=temporary)


class SmtpTransport:
    """One SMTP connection, opened on the first message and reused for the rest of a chunk."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        timeout: float = SMTP_TIMEOUT,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.timeout = timeout
        # The system's trusted CAs and hostname checks, unless a caller brings its own.
        self.context = context or ssl.create_default_context()
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = self.context
        client: smtplib.SMTP
        if config.mode == "tls":
            client = smtplib.SMTP_SSL(
                config.host, config.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
        try:
            client.ehlo()
            if config.mode == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if config.username:
                client.login(config.username, config.password or "")
        except BaseException:
            _quietly_close(client)
            raise
        return client

    def send(self, message: EmailMessage, *, handing_over: Callable[[], None] = _nothing) -> None:
        client = self._client or self._open()
        data = client.data
        handed = False

        def data_after_hand_over(msg: Any) -> tuple[int, bytes]:
            nonlocal handed
            handing_over()
            handed = True
            return data(msg)

        # smtplib's `send_message` runs MAIL, RCPT and DATA as one call; its DATA step is the
        # moment to note, so the session's own `data` is wrapped for this one message.
        client.data = data_after_hand_over  # type: ignore[method-assign]
        try:
            refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            code, reply = next(iter(exc.recipients.values()), (550, b""))
            raise _reply_error(code, reply, "recipient") from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _reply_error(exc.smtp_code, exc.smtp_error, "message") from None
        except (smtplib.SMTPException, OSError) as exc:
            # A dropped connection or a timeout: tried again later, unless it broke off after
            # DATA began, when the server may have the message already.
            self.close()
            raise MailError(
                code="connection",
                reason=f"SMTP {type(exc).__name__}",
                temporary=True,
                may_have_been_sent=handed,
            ) from None
        finally:
            client.data = data  # type: ignore[method-assign]
        if refused:
            # With one recipient per message a partial refusal is a full one.
            code, reply = next(iter(refused.values()))
            self._reset()
            raise _reply_error(code, reply, "recipient")

    def _open(self) -> smtplib.SMTP:
        try:
            self._client = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            # Whatever stops the session (no server, a greeting or STARTTLS refused, a wrong
            # password) is this deployment's problem, not the message's: it waits for a later
            # try instead of failing for good.
            code = getattr(exc, "smtp_code", None)
            raise MailError(
                code=str(code) if code else "connection",
                reason=f"SMTP session not opened ({type(exc).__name__})",
                temporary=True,
            ) from None
        return self._client

    def _reset(self) -> None:
        # After a refused message the session must be reset before the next one.
        if self._client is None:
            return
        try:
            self._client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._client is not None:
            _quietly_close(self._client)
            self._client = None


def _quietly_close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


class FolderTransport:
    """The local simulator: every e-mail becomes `<Message-ID>.eml` in a folder."""

    def __init__(self, folder: Path = MAIL_FOLDER) -> None:
        self.folder = folder

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: EmailMessage, *, handing_over: Callable[[], None] = _nothing) -> None:
        # The e-mails hold addresses and names in clear: the owner alone may read them.
        private_folder(self.folder, narrow_existing=True)
        name = str(message["Message-ID"]).strip("<>").split("@", 1)[0]
        if not re.fullmatch(r"[0-9a-f-]{36}", name):
            raise MailError(code="local", reason="message has no usable id", temporary=False)
        path = self.folder / f"{name}.eml"
        # Written aside and renamed, so a reader never sees half a file.
        partial = path.with_suffix(".eml.part")
        write_private_bytes(partial, message.as_bytes())
        handing_over()
        partial.replace(path)

    def close(self) -> None:
        return None


def transport_from_settings(settings: Settings) -> SmtpTransport | FolderTransport:
    if settings.smtp_url:
        return SmtpTransport(parse_smtp_url(settings.smtp_url))
    return FolderTransport()
