"""One send rate for all worker processes together: a token bucket in Redis, or in-process.

Twilio limits messages per second per sender, for the whole account, not per worker. Celery's
`rate_limit` counts per worker process, so N processes would send N times too fast. Every
process therefore takes a token from one bucket before each send:

- with a Redis broker, the bucket lives in that Redis under one key and is refilled and taken
  from by a Lua script, which Redis runs atomically, on Redis's own clock (so the workers'
  clocks need not agree);
- with the embedded file broker there is one worker process, and an in-process bucket does.

The bucket holds one token by default: sends are spaced evenly instead of going out in bursts,
which is what a per-second limit at the provider tolerates best. At a rate of a hundred a
second or more, a process takes up to 20 ms of the rate's tokens in one round trip and spaces
those sends itself, still evenly and still within the one shared rate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

import redis

from birge_shared.broker import is_filesystem
from birge_shared.settings import Settings

log = logging.getLogger(__name__)

BUCKET_KEY = "birge:sms:bucket"
# The provider counts requests as they arrive, after network and scheduling jitter we do not
# control; spacing tokens exactly 1/rate apart would let that jitter put rate + 1 requests into
# one of its seconds. Pacing 5 % below the configured rate absorbs tens of milliseconds.
HEADROOM = 0.95

# At a high rate a process takes several tokens per round trip to Redis, as many as this many
# seconds of the rate (at most BATCH_MAX), and spaces their sends itself: one round trip per
# send would cost more than the send. Below BATCH_FROM_RATE it takes one token at a time.
BATCH_SECONDS = 0.02
BATCH_MAX = 16
BATCH_FROM_RATE = 2 / BATCH_SECONDS

# KEYS[1]: the bucket. ARGV[1]: tokens per second. ARGV[2]: capacity. ARGV[3]: tokens to take
# (1 when not given); more than one leaves the bucket in debt, so that every taker after them
# waits until the rate has paid for all of them.
# Returns "0" when the tokens were taken, else the seconds until one will be there (as a
# string: Redis would truncate a Lua number to an integer).
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local take = tonumber(ARGV[3] or '1')
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - take
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
-- Kept until the bucket is full again (a debt included), and a second more.
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class Pacer(Protocol):
    def acquire(self, *, timeout: float) -> bool:
        """Take one send token, waiting at most `timeout` seconds; False if none came."""
        ...


class TokenBucket(Protocol):
    def try_acquire(self) -> float:
        """Take a token now and return 0, or return how many seconds until one is there."""
        ...


def _acquire(
    bucket: TokenBucket,
    timeout: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> bool:
    deadline = clock() + timeout
    while True:
        wait = bucket.try_acquire()
        if wait <= 0:
            return True
        if clock() + wait > deadline:
            return False
        sleep(wait)


class LocalTokenBucket:
    """A token bucket for the threads of one process."""

    def __init__(
        self,
        rate: float,
        *,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._at = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate

    def acquire(self, *, timeout: float) -> bool:
        return _acquire(self, timeout, self._clock, self._sleep)


class RedisTokenBucket:
    """A token bucket shared by every process that uses the same Redis key."""

    def __init__(
        self,
        client: redis.Redis,
        rate: float,
        *,
        capacity: float = 1.0,
        key: str = BUCKET_KEY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and room for one token")
        self.rate = rate
        self.capacity = capacity
        self.key = key
        self._client = client
        self._script = client.register_script(_BUCKET_SCRIPT)
        self._sleep = sleep
        #: Tokens taken per round trip to Redis.
        self.batch = min(BATCH_MAX, int(rate * BATCH_SECONDS)) if rate >= BATCH_FROM_RATE else 1
        self._slots: deque[float] = deque()
        self._lock = threading.Lock()

    def try_acquire(self, take: int = 1) -> float:
        """Take `take` tokens now and return 0, or return how many seconds until one is there."""
        answer = self._script(
            keys=[self.key], args=[repr(self.rate), repr(self.capacity), str(take)]
        )
        return float(answer.decode() if isinstance(answer, bytes) else answer)

    def acquire(self, *, timeout: float) -> bool:
        try:
            if self.batch == 1:
                return _acquire(self, timeout, time.monotonic, self._sleep)
            return self._acquire_batched(timeout)
        except redis.RedisError as exc:
            # Without the shared bucket there is no safe pace: report no token, and the caller
            # puts the message back for a later try instead of sending unpaced.
            log.warning("send pacing unavailable", extra={"error": type(exc).__name__})
            return False

    def _acquire_batched(self, timeout: float) -> bool:
        slot = self._taken_slot()
        if slot is None:
            deadline = time.monotonic() + timeout
            while (wait := self.try_acquire(self.batch)) > 0:
                if time.monotonic() + wait > deadline:
                    return False
                self._sleep(wait)
            # The tokens taken are spent evenly over the time the rate takes to pay for them.
            start = time.monotonic()
            slot = start
            with self._lock:
                self._slots.extend(start + index / self.rate for index in range(1, self.batch))
        delay = slot - time.monotonic()
        if delay > 0:
            self._sleep(delay)
        return True

    def _taken_slot(self) -> float | None:
        """The moment of a token this process took already, if one is left and not stale."""
        with self._lock:
            # A moment long past is dropped, not used late beside fresh tokens: a token left
            # unused is only a send the rate allowed and nobody made.
            stale = time.monotonic() - BATCH_SECONDS
            while self._slots and self._slots[0] < stale:
                self._slots.popleft()
            return self._slots.popleft() if self._slots else None

    def close(self) -> None:
        self._client.close()


def is_redis_url(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "rediss")


def pacer_from_settings(
    settings: Settings, *, rate: float | None = None, key: str = BUCKET_KEY
) -> LocalTokenBucket | RedisTokenBucket:
    """The bucket every process of this deployment shares, at the configured rate less headroom.

    `rate` and `key` name another provider's bucket (the Telegram bot's 30 a second), which
    is its own: one provider's sends never wait for another's tokens.

    The broker's Redis holds it: it is already there and shared by all workers, and one key
    and a few bytes of state do not disturb Celery.
    """
    per_second = (settings.sms_rate_per_second if rate is None else rate) * HEADROOM
    if is_redis_url(settings.broker_url):
        client = redis.Redis.from_url(
            settings.broker_url, socket_timeout=5, socket_connect_timeout=5
        )
        return RedisTokenBucket(client, per_second, key=key)
    if not is_filesystem(settings.broker_url):
        # Another broker (RabbitMQ) has no place for a shared bucket: each process paces
        # alone, which holds the rate only while one worker process sends.
        log.warning("send pacing is per process with this broker")
    return LocalTokenBucket(per_second)
