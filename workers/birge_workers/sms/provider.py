"""What every SMS provider promises. Its receipt and its two kinds of failure are every
channel's (`birge_workers.outbound.provider`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from birge_workers.outbound.provider import (
    PermanentProviderError,
    ProviderError,
    SentMessage,
    TemporaryProviderError,
)

__all__ = [
    "PermanentProviderError",
    "ProviderError",
    "SentMessage",
    "SmsProvider",
    "TemporaryProviderError",
    "same_text",
]


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
