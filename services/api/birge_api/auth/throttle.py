"""Login throttling that stops the guesser, not the account's owner.

Failed logins are counted on three levels, with the `limits` library's moving windows:

- per account and client, strictly (`PAIR_LIMITS`): one address guessing one account gets five
  tries a minute, ten an hour, twenty a day, then waits. This is what the owner mistyping
  their own password meets too.
- per client, over every account (`CLIENT_LIMITS`): spraying many accounts from one address
  stays limited.
- per account, over every client (`ACCOUNT_LIMITS`): guessing one account from many addresses.
  The tiers make the wait grow the longer the guessing goes on (an hour, then a day). This
  level does not apply to a client the account signed in from in the last `KNOWN_FOR_DAYS`
  days, so the owner at their usual address still gets in while somebody elsewhere guesses.
  A single address never reaches it (its pair limit ends first), so the owner can also sign
  in from a new address while one attacker keeps trying.

A success resets no count: an attacker who also owns an account must not clear the count of
their guesses by signing in to it.

The counts live in Redis when the broker is Redis, so every API process shares them; with any
other broker (the embedded `filesystem://` default) they live in this process. If Redis cannot
be reached, logins fail open to counting in this process: never refused for an outage, never
unlimited either. Keys are HMACs of the e-mail and the address under the PII hash key: neither
appears in Redis.

The client is the address after `birge_api.proxies` applied `TRUSTED_PROXIES`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Annotated, TypeVar

import redis
from fastapi import Depends
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from birge_shared.settings import Settings, get_settings

log = logging.getLogger(__name__)

PAIR_LIMITS: tuple[RateLimitItem, ...] = tuple(parse_many("5/minute;10/hour;20/day"))
CLIENT_LIMITS: tuple[RateLimitItem, ...] = tuple(parse_many("20/minute;60/hour;200/day"))
ACCOUNT_LIMITS: tuple[RateLimitItem, ...] = tuple(parse_many("30/hour;100/day"))
KNOWN_FOR_DAYS = 30
# One "known client" mark per account and address, renewed at each successful login.
_KNOWN = RateLimitItemPerDay(1, KNOWN_FOR_DAYS, namespace="birge-login-known")
# At most one audit entry a minute per throttled account and level: a flood of refused
# attempts must not become a flood of rows.
_AUDITED = RateLimitItemPerMinute(1, namespace="birge-login-throttled")
_KEY_PREFIX = "birge"

T = TypeVar("T")


@dataclass(frozen=True)
class Throttled:
    """Which level refused the attempt (`pair`, `client` or `account`) and for how long."""

    scope: str
    retry_after: int
    first_in_a_while: bool


class _FailOpen:
    """Runs a limiter call on the shared storage, or in this process when that fails."""

    def __init__(self, storage: Storage) -> None:
        self._shared = storage
        self._local = storage if isinstance(storage, MemoryStorage) else MemoryStorage()

    def run(self, call: Callable[[Storage], T]) -> T:
        try:
            return call(self._shared)
        except (StorageError, redis.RedisError) as exc:
            log.warning(
                "login throttle falls back to this process", extra={"error": type(exc).__name__}
            )
            return call(self._local)


class LoginThrottle:
    """Counts failed logins by digests of the account's e-mail and the client's address."""

    def __init__(self, *, storage: Storage, settings: Settings) -> None:
        self._storage = _FailOpen(storage)
        self._hash_key = settings.pii_hash_key.get_secret_value().encode()

    def _digest(self, kind: str, value: str) -> str:
        message = f"login-{kind}:{value}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def _ids(self, email: str, client: str) -> tuple[str, str]:
        return self._digest("account", email.strip().lower()), self._digest("client", client)

    def check(self, *, email: str, client: str) -> Throttled | None:
        """Why this attempt may not even be tried now, or None when it may."""
        account, address = self._ids(email, client)
        levels: list[tuple[str, Sequence[RateLimitItem], tuple[str, ...]]] = [
            ("pair", PAIR_LIMITS, ("pair", account, address)),
            ("client", CLIENT_LIMITS, ("client", address)),
            ("account", ACCOUNT_LIMITS, ("account", account)),
        ]
        for scope, items, ids in levels:
            wait = self._storage.run(partial(_wait, items=items, ids=ids))
            if wait == 0:
                continue
            if scope == "account" and self._known(account, address):
                continue
            subject = address if scope == "client" else account
            first = self._storage.run(partial(_first_refusal, scope=scope, subject=subject))
            return Throttled(scope=scope, retry_after=wait, first_in_a_while=first)
        return None

    def record_failure(self, *, email: str, client: str) -> None:
        account, address = self._ids(email, client)

        def hit(storage: Storage) -> None:
            limiter = MovingWindowRateLimiter(storage)
            for item in PAIR_LIMITS:
                limiter.hit(item, "pair", account, address)
            for item in CLIENT_LIMITS:
                limiter.hit(item, "client", address)
            for item in ACCOUNT_LIMITS:
                limiter.hit(item, "account", account)

        self._storage.run(hit)

    def record_success(self, *, email: str, client: str) -> None:
        """This client is now one the account uses: the account-wide level spares it."""
        account, address = self._ids(email, client)

        def mark(storage: Storage) -> None:
            limiter = FixedWindowRateLimiter(storage)
            # Cleared first so the mark lasts KNOWN_FOR_DAYS from the latest login.
            limiter.clear(_KNOWN, account, address)
            limiter.hit(_KNOWN, account, address)

        self._storage.run(mark)

    def _known(self, account: str, address: str) -> bool:
        return not self._storage.run(partial(_room, item=_KNOWN, ids=(account, address)))


def _room(storage: Storage, *, item: RateLimitItem, ids: tuple[str, ...]) -> bool:
    return FixedWindowRateLimiter(storage).test(item, *ids)


def _first_refusal(storage: Storage, *, scope: str, subject: str) -> bool:
    return FixedWindowRateLimiter(storage).hit(_AUDITED, scope, subject)


def _wait(storage: Storage, *, items: Sequence[RateLimitItem], ids: tuple[str, ...]) -> int:
    """Seconds until every one of these windows has room again; 0 when all have now."""
    limiter = MovingWindowRateLimiter(storage)
    now = time.time()
    wait = 0.0
    for item in items:
        if not limiter.test(item, *ids):
            reset = limiter.get_window_stats(item, *ids).reset_time
            wait = max(wait, reset - now, 1.0)
    return math.ceil(wait)


def _is_redis(broker_url: str) -> bool:
    return broker_url.startswith(("redis://", "rediss://"))


@lru_cache(maxsize=4)
def storage_for(broker_url: str) -> Storage:
    """One storage per process and broker: the in-process windows must outlive a request."""
    if not _is_redis(broker_url):
        return MemoryStorage()
    # No retries: a login waits at most a second for Redis before counting in process.
    return RedisStorage(
        broker_url,
        key_prefix=_KEY_PREFIX,
        wrap_exceptions=True,
        socket_connect_timeout=1,
        socket_timeout=1,
    )


def get_login_throttle(settings: Annotated[Settings, Depends(get_settings)]) -> LoginThrottle:
    return LoginThrottle(storage=storage_for(settings.broker_url), settings=settings)


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
