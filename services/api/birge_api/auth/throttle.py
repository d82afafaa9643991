"""Login throttling: at most five failed logins a minute per account and per client.

Two counters are checked before a password is: one per account (guessing one person's
password from many addresses) and one per client address (trying many accounts from one
place). A success resets neither: an attacker who also owns an account must not be able to
clear the count of their guesses by signing in to it, and a user signing in elsewhere must not
clear anyone else's count.

The counters live in Redis when the broker is Redis, so every API process shares them; with any
other broker (the embedded `filesystem://` default) they live in this process. Counter keys are
HMACs of the e-mail or address under the PII hash key: neither appears in Redis.

The client is the address uvicorn reports. Behind a proxy, start the API with
`--forwarded-allow-ips` naming the proxy, so the address is the caller's: otherwise every caller
shares the proxy's count, and five failures anywhere would lock everybody out for a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Annotated, Protocol

import redis
from fastapi import Depends
from redis.backoff import NoBackoff
from redis.retry import Retry

from birge_shared.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_FAILURES = 5
WINDOW_SECONDS = 60
_KEY_PREFIX = "birge:login-failures:"
# Enough for a burst of distinct attackers; expired windows are dropped before this is reached.
_MAX_MEMORY_KEYS = 100_000


class AttemptCounter(Protocol):
    """Failure counts in fixed windows that start at a key's first failure."""

    def retry_after(self, keys: Sequence[str]) -> int:
        """Seconds until every key is below the limit again; 0 when none is at it."""
        ...

    def add_failure(self, keys: Sequence[str]) -> None: ...


class MemoryCounter:
    """Counts in this process: the embedded default, and the fallback when Redis fails."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, float]] = {}

    def _current(self, key: str, now: float) -> tuple[int, float] | None:
        window = self._windows.get(key)
        if window is not None and window[1] <= now:
            del self._windows[key]
            return None
        return window

    def retry_after(self, keys: Sequence[str]) -> int:
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                window = self._current(key, now)
                if window is not None and window[0] >= MAX_FAILURES:
                    wait = max(wait, window[1] - now)
        return math.ceil(wait)

    def add_failure(self, keys: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            if len(self._windows) >= _MAX_MEMORY_KEYS:
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            for key in keys:
                window = self._current(key, now)
                count, ends = window if window is not None else (0, now + WINDOW_SECONDS)
                self._windows[key] = (count + 1, ends)


class RedisCounter:
    """Counts shared by every API process, with the in-process counter as a fallback.

    If Redis cannot be reached, logins are still throttled, per process, rather than either
    refused (an outage of the broker would lock everybody out) or let through unlimited.
    """

    def __init__(self, client: redis.Redis, fallback: MemoryCounter) -> None:
        self._redis = client
        self._fallback = fallback

    def retry_after(self, keys: Sequence[str]) -> int:
        try:
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            replies = pipe.execute()
        except redis.RedisError as exc:
            log.warning(
                "login throttle falls back to this process", extra={"error": type(exc).__name__}
            )
            return self._fallback.retry_after(keys)
        wait = 0
        for count, ttl in zip(replies[::2], replies[1::2], strict=True):
            if count is not None and int(count) >= MAX_FAILURES:
                # A key without expiry cannot happen (see below); 1 s keeps the answer sane.
                wait = max(wait, int(ttl) if int(ttl) > 0 else 1)
        return wait

    def add_failure(self, keys: Sequence[str]) -> None:
        try:
            pipe = self._redis.pipeline(transaction=True)
            for key in keys:
                # Create the key with its expiry first, then count: INCR keeps the expiry, and
                # no crash between two commands can leave a counter that never expires.
                pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)
                pipe.incr(key)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning(
                "login throttle falls back to this process", extra={"error": type(exc).__name__}
            )
            self._fallback.add_failure(keys)


class LoginThrottle:
    """Turns an e-mail and a client address into counter keys that reveal neither."""

    def __init__(self, *, counter: AttemptCounter, settings: Settings) -> None:
        self._counter = counter
        self._hash_key = settings.pii_hash_key.get_secret_value().encode()

    def _key(self, kind: str, value: str) -> str:
        digest = hmac.new(self._hash_key, f"login-{kind}:{value}".encode(), hashlib.sha256)
        return f"{_KEY_PREFIX}{kind}:{digest.hexdigest()}"

    def _keys(self, *, email: str, client: str) -> tuple[str, str]:
        return self._key("account", email.strip().lower()), self._key("client", client)

    def retry_after(self, *, email: str, client: str) -> int:
        return self._counter.retry_after(self._keys(email=email, client=client))

    def record_failure(self, *, email: str, client: str) -> None:
        self._counter.add_failure(self._keys(email=email, client=client))


def _is_redis(broker_url: str) -> bool:
    return broker_url.startswith(("redis://", "rediss://"))


@lru_cache(maxsize=4)
def _counter_for(broker_url: str) -> AttemptCounter:
    # One counter per process and broker: the in-process windows must outlive a request.
    fallback = MemoryCounter()
    if not _is_redis(broker_url):
        return fallback
    # No retries: a login waits at most a second for Redis before counting in process.
    client = redis.Redis.from_url(
        broker_url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    return RedisCounter(client, fallback)


def get_login_throttle(settings: Annotated[Settings, Depends(get_settings)]) -> LoginThrottle:
    return LoginThrottle(counter=_counter_for(settings.broker_url), settings=settings)


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
