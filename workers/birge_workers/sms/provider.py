"""What every SMS provider promises, and the two ways a send can fail.

The caller decides what to do with a failure, so the errors say only which kind it is:
a `TemporaryProviderError` is worth retrying with backoff, a `PermanentProviderError` is not.
Neither ever carries the recipient's number or the message body, because both end up in logs
and in the `message.error_reason` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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

    def __init__(self, code: str | None, reason: str, *, may_have_been_sent: bool = False) -> None:
        super().__init__(code, reason)
        self.may_have_been_sent = may_have_been_sent


class PermanentProviderError(ProviderError):
    """The provider refused this message for good (bad number, opted out, bad request)."""

    code: str

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code, reason)


class SmsProvider(Protocol):
    def send(
        self,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        validity_period: int | None,
    ) -> SentMessage:
        """Hand one SMS to the provider.

        `to` is E.164. `status_callback` is the URL the provider posts delivery reports to.
        `validity_period` is how many seconds the message may wait in the provider's queue
        before it is dropped instead of sent late.
        """
        ...

    def find_sent(self, *, to: str, body: str, sent_after: datetime) -> list[SentMessage]:
        """The messages the provider has to `to` with this text, created at or after
        `sent_after`, newest first; empty when it has none.

        This settles a send whose outcome was lost (a timeout, a worker that died mid-call)
        without sending again. A short text sent twice (two HELP answers) matches both, so
        the caller picks the one it has not recorded yet. A provider that cannot be asked
        raises a `ProviderError`.
        """
        ...


def same_text(ours: str, theirs: str) -> bool:
    """Is `theirs`, as the provider reports it, the text we sent as `ours`?

    A provider may replace typographic characters to save segments (Twilio's Smart Encoding
    turns « » and curly quotes into plain ones), but it never changes ASCII letters and digits.
    When a text has enough of those (a personal link's token alone has 43), they identify it;
    a short Cyrillic text without a link has too few and must come back exactly as sent.
    """
    if ours == theirs:
        return True
    key = _ascii_key(ours)
    return len(key) >= _IDENTIFYING_KEY and key == _ascii_key(theirs)


# Fewer than a link token has, more than the word "Birge" and the digits of a date and time.
_IDENTIFYING_KEY = 40


def _ascii_key(text: str) -> str:
    return "".join(char for char in text if char.isascii() and char.isalnum())
