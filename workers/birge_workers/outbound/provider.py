"""What every provider call can answer: a receipt, or one of two kinds of failure.

The caller decides what to do with a failure, so the errors say only which kind it is:
a `TemporaryProviderError` is worth retrying with backoff, a `PermanentProviderError` is not.
Neither ever carries the recipient's address or the message body, because both end up in logs
and in the `message.error_reason` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class SentMessage:
    """The provider's receipt: its id for the message, its first status, its segment count."""

    sid: str
    status: str
    segments: int | None


class ProviderError(Exception):
    """A send that did not go through. `code` is the provider's error code where it gave one."""

    def __init__(self, code: str | None, reason: str) -> None:
        super().__init__(f"{code}: {reason}" if code else reason)
        self.code = code
        self.reason = reason


class TemporaryProviderError(ProviderError):
    """Rate limits, provider outages, timeouts, broken connections: retry later with backoff.

    `may_have_been_sent` is true when the request left this machine but no answer came back
    (a read timeout, a connection dropped mid-response): the provider may have accepted the
    message, so a retry can deliver it twice. The caller chooses between that and losing it.
    """

    def __init__(
        self,
        code: str | None,
        reason: str,
        *,
        may_have_been_sent: bool = False,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(code, reason)
        self.may_have_been_sent = may_have_been_sent
        #: The provider's own word on when to try again (Telegram's 429 `retry_after`); the
        #: retry waits at least this long, whatever the backoff says.
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """The provider refused this message for good (bad address, opted out, bad request).

    `falls_back` is true when the refusal is the channel's, not the message's (the number is
    not on WhatsApp, the template was rejected, the bot was blocked): the message then goes
    once on the person's next channel.
    """

    code: str

    def __init__(self, code: str, reason: str, *, falls_back: bool = False) -> None:
        super().__init__(code, reason)
        self.falls_back = falls_back
