"""The in-process token bucket, on a clock the test moves by hand."""

from __future__ import annotations

import threading

import pytest

from birge_shared.settings import Settings
from birge_workers.sending.pacing import (
    HEADROOM,
    LocalTokenBucket,
    RedisTokenBucket,
    pacer_from_settings,
)
from tests.conftest import redis_database_url


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket(rate: float, capacity: float = 1.0) -> tuple[LocalTokenBucket, ManualClock]:
    clock = ManualClock()
    return LocalTokenBucket(rate, capacity=capacity, clock=clock, sleep=clock.sleep), clock


def test_the_first_token_is_there_and_the_next_comes_after_one_interval() -> None:
    pacer, clock = bucket(5)
    assert pacer.try_acquire() == 0
    assert pacer.try_acquire() == pytest.approx(0.2)
    clock.now += 0.1
    assert pacer.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert pacer.try_acquire() == 0


def test_acquire_waits_for_the_next_token() -> None:
    pacer, clock = bucket(4)
    start = clock.now
    for _ in range(5):
        assert pacer.acquire(timeout=5)
    # Five tokens at four a second: the first at once, then one every quarter second.
    assert clock.now - start == pytest.approx(1.0)
    assert clock.slept == pytest.approx([0.25] * 4)


def test_no_burst_beyond_the_capacity_after_a_quiet_time() -> None:
    pacer, clock = bucket(2, capacity=3)
    clock.now += 3600  # a long pause fills the bucket, but only up to its capacity
    assert [pacer.try_acquire() for _ in range(3)] == [0, 0, 0]
    assert pacer.try_acquire() == pytest.approx(0.5)


def test_in_any_second_at_most_rate_tokens_are_granted() -> None:
    pacer, clock = bucket(5)
    granted: list[float] = []
    for _ in range(40):
        assert pacer.acquire(timeout=1)
        granted.append(clock.now)
    for first in granted:
        assert sum(1 for t in granted if first <= t < first + 1) <= 5


def test_a_wait_longer_than_the_timeout_gives_up_without_sleeping() -> None:
    pacer, clock = bucket(0.5)
    assert pacer.acquire(timeout=0)
    assert not pacer.acquire(timeout=1.5)  # the next token is two seconds away
    assert clock.slept == []


def test_threads_share_the_bucket() -> None:
    pacer = LocalTokenBucket(1000, capacity=10)
    grants: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        while pacer.try_acquire() != 0:
            pass
        with lock:
            grants.append(1)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(grants) == 8


def test_a_bucket_needs_a_rate_and_room_for_a_token() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        LocalTokenBucket(0)
    with pytest.raises(ValueError, match="room for one token"):
        LocalTokenBucket(1, capacity=0.5)


def test_settings_choose_the_bucket_and_keep_headroom() -> None:
    local = pacer_from_settings(Settings(broker_url="filesystem://", sms_rate_per_second=10))
    assert isinstance(local, LocalTokenBucket)
    assert local.rate == pytest.approx(10 * HEADROOM)
    shared = pacer_from_settings(
        Settings(broker_url=redis_database_url(12), sms_rate_per_second=10)
    )
    assert isinstance(shared, RedisTokenBucket)
    assert shared.rate == pytest.approx(10 * HEADROOM)
    shared.close()
