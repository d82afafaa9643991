"""The shared token bucket on a real Redis (database 12), as several processes use it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from birge_workers.sending.pacing import RedisTokenBucket
from tests.conftest import redis_database_url

REDIS_URL = redis_database_url(12)


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}", pytrace=False)
    yield connection
    connection.close()


@pytest.fixture
def key(client: redis.Redis) -> Iterator[str]:
    name = f"birge:test:bucket:{uuid.uuid4().hex}"
    yield name
    client.delete(name)


def test_two_clients_take_from_one_bucket(client: redis.Redis, key: str) -> None:
    first = RedisTokenBucket(client, 5, key=key)
    other_process = RedisTokenBucket(redis.Redis.from_url(REDIS_URL), 5, key=key)
    try:
        assert first.try_acquire() == 0
        # The other worker finds the token gone and is told to wait about one interval.
        wait = other_process.try_acquire()
        assert 0.15 < wait <= 0.2
    finally:
        other_process.close()


def test_buckets_under_different_keys_are_independent(client: redis.Redis, key: str) -> None:
    other_key = key + ":other"
    try:
        assert RedisTokenBucket(client, 1, key=key).try_acquire() == 0
        assert RedisTokenBucket(client, 1, key=other_key).try_acquire() == 0
    finally:
        client.delete(other_key)


def test_acquire_waits_then_takes_a_token(client: redis.Redis, key: str) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)  # really: the bucket runs on Redis's clock

    pacer = RedisTokenBucket(client, 20, key=key, sleep=sleep)
    assert pacer.acquire(timeout=1)
    assert pacer.acquire(timeout=1)
    assert len(slept) >= 1
    assert all(0 < seconds <= 0.05 for seconds in slept)


def test_a_short_timeout_gives_up(client: redis.Redis, key: str) -> None:
    pacer = RedisTokenBucket(client, 0.1, key=key)
    assert pacer.acquire(timeout=0)
    assert not pacer.acquire(timeout=0.5)  # the next token is ten seconds away


def test_the_idle_bucket_expires(client: redis.Redis, key: str) -> None:
    pacer = RedisTokenBucket(client, 10, key=key)
    assert pacer.try_acquire() == 0
    ttl = client.pttl(key)
    # Refilled after 0.1 s, kept one second more: an idle deployment leaves nothing behind.
    assert 0 < ttl <= 1100


def test_an_unreachable_redis_gives_no_token() -> None:
    unreachable = redis.Redis.from_url(
        "redis://127.0.0.1:1/12", socket_timeout=0.5, socket_connect_timeout=0.5
    )
    assert not RedisTokenBucket(unreachable, 5).acquire(timeout=1)


def test_at_a_high_rate_a_process_takes_several_tokens_per_round_trip(
    client: redis.Redis, key: str
) -> None:
    rate = 400.0
    first = RedisTokenBucket(client, rate, key=key)
    other_process = RedisTokenBucket(redis.Redis.from_url(REDIS_URL), rate, key=key)
    assert first.batch == 8
    sends: list[float] = []
    try:
        started = time.monotonic()
        while time.monotonic() - started < 0.5:
            for pacer in (first, other_process):
                assert pacer.acquire(timeout=1)
                sends.append(time.monotonic())
    finally:
        other_process.close()
    # Both processes together stay within the one rate (one batch of slack at the start),
    # and the tokens were not fetched one round trip at a time.
    elapsed = sends[-1] - sends[0]
    assert len(sends) <= rate * elapsed + 2 * first.batch
    assert len(sends) >= rate * elapsed / 4


def test_a_debt_keeps_the_bucket_until_it_is_paid(client: redis.Redis, key: str) -> None:
    pacer = RedisTokenBucket(client, 400, key=key)
    assert pacer.try_acquire(pacer.batch) == 0
    # Eight tokens at 400 a second: the bucket is paid up after 20 ms and kept a second more.
    assert 1000 < client.pttl(key) <= 1020
    assert pacer.try_acquire() > 0
