"""The one backoff of every retry: of a send, of the outbox relay's publishing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)


def retry_delay(
    attempts: int,
    *,
    first: timedelta = RETRY_FIRST,
    cap: timedelta = RETRY_MAX,
    jitter: Callable[[], float] = random.random,
) -> timedelta:
    """The wait after `attempts` failed tries: `first` doubling per try, capped at `cap`.

    Jittered by ±20 % so messages that failed together (a provider outage) do not all come
    back in the same second.
    """
    exponent = min(max(attempts - 1, 0), 16)  # 2**16 × the first wait is far past any cap
    base = min(first * (1 << exponent), cap)
    return min(base * (0.8 + 0.4 * jitter()), cap)
