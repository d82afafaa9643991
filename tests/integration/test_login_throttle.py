"""Login throttling through the API, on Redis (the test broker) and in process.

The throttle must stop whoever guesses, not the account's owner: one address guessing one
account, one address spraying many accounts and many addresses guessing one account are each
limited, and the owner still signs in meanwhile.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.auth.throttle import (
    ACCOUNT_LIMITS,
    CLIENT_LIMITS,
    PAIR_LIMITS,
    LoginThrottle,
    get_login_throttle,
    storage_for,
)
from birge_shared.models import AuditEntry, Role
from birge_shared.settings import get_settings
from tests.conftest import TEST_PASSWORD, TEST_REDIS_URL, UserFactory

ClientFactory = Callable[..., TestClient]
PER_MINUTE = PAIR_LIMITS[0].amount  # 5 guesses a minute from one address at one account
CLIENT_PER_MINUTE = CLIENT_LIMITS[0].amount
ACCOUNT_PER_HOUR = ACCOUNT_LIMITS[0].amount


def _address() -> str:
    # A fresh documentation address per client: Redis outlives each test's database rollback.
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def _unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:10]}@example.org"


def _memory_throttle(app: FastAPI) -> None:
    throttle = LoginThrottle(storage=MemoryStorage(), settings=get_settings())
    app.dependency_overrides[get_login_throttle] = lambda: throttle


@pytest.fixture(params=["redis", "memory"])
def throttled_app(request: pytest.FixtureRequest, app: FastAPI) -> FastAPI:
    if request.param == "memory":
        _memory_throttle(app)
    return app


def _clients(app: FastAPI) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def _make(address: str | None = None) -> TestClient:
        client = TestClient(app, client=(address or _address(), 50000))
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.close()


@pytest.fixture
def new_client(throttled_app: FastAPI) -> Iterator[ClientFactory]:
    yield from _clients(throttled_app)


@pytest.fixture
def memory_client(app: FastAPI) -> Iterator[ClientFactory]:
    """In process only: the clock is moved, and Redis keeps its own time for expiries."""
    _memory_throttle(app)
    yield from _clients(app)


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post("/v1/auth/token", data={"username": email, "password": password}).status_code


def test_an_attacker_at_one_address_is_refused_and_the_owner_elsewhere_is_not(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    attacker = new_client()
    for _ in range(PER_MINUTE):
        assert _login(attacker, user.email, "wrong password!") == 401

    refused = attacker.post(
        "/v1/auth/token", data={"username": user.email.upper(), "password": TEST_PASSWORD}
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/too-many-attempts")
    assert "access_token" not in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60

    # The owner, from an address the account has never used, signs in at once.
    assert _login(new_client(), user.email, TEST_PASSWORD) == 200


def test_an_attacker_guessing_every_few_seconds_never_keeps_the_owner_out(
    memory_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    attacker = memory_client()
    wrong = 0
    with time_machine.travel(datetime(2026, 12, 1, 6, 0, tzinfo=UTC), tick=False) as clock:
        for attempt in range(65 * 12):  # every 5 s for 65 minutes
            status = _login(attacker, user.email, f"guess {attempt}")
            assert status in {401, 429}
            wrong += status == 401
            if attempt % 48 == 0:  # every four minutes the owner signs in from somewhere new
                assert _login(memory_client(), user.email, TEST_PASSWORD) == 200
            clock.shift(timedelta(seconds=5))
    # Ten guesses an hour at most from one address, however persistent.
    assert wrong <= 2 * PAIR_LIMITS[1].amount


def test_one_address_spraying_many_accounts_stays_limited(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    sprayer = new_client()
    for _ in range(CLIENT_PER_MINUTE):
        assert _login(sprayer, _unknown_email(), "Password1!") == 401

    assert _login(sprayer, _unknown_email(), "Password1!") == 429
    assert _login(sprayer, user.email, TEST_PASSWORD) == 429
    # The accounts themselves are not locked.
    assert _login(new_client(), user.email, TEST_PASSWORD) == 200


def test_many_addresses_guessing_one_account_spare_the_owners_usual_address(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.COORDINATOR, ("osh",))
    home = _address()
    assert _login(new_client(home), user.email, TEST_PASSWORD) == 200
    for _ in range(ACCOUNT_PER_HOUR):
        assert _login(new_client(), user.email, "wrong password!") == 401

    # A new address meets the account-wide limit, right password or not...
    assert _login(new_client(), user.email, TEST_PASSWORD) == 429
    # ...the address the owner signs in from does not.
    assert _login(new_client(home), user.email, TEST_PASSWORD) == 200


def test_a_success_elsewhere_does_not_reset_a_clients_count(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.VIEWER, ("osh",))
    attacker = new_client()
    for _ in range(PER_MINUTE - 1):
        assert _login(attacker, user.email, "guess it is") == 401

    assert _login(new_client(), user.email, TEST_PASSWORD) == 200
    assert _login(attacker, user.email, "guess it is") == 401

    assert _login(attacker, user.email, TEST_PASSWORD) == 429


def test_failures_below_the_limit_do_not_block(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    client = new_client()
    for _ in range(PER_MINUTE - 1):
        assert _login(client, user.email, "typo in it") == 401
    assert _login(client, user.email, TEST_PASSWORD) == 200


def test_who_was_throttled_is_audited_by_account_id_once_a_minute(
    new_client: ClientFactory, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.ADMIN)
    attacker = new_client()
    for _ in range(PER_MINUTE):
        assert _login(attacker, user.email, "wrong password!") == 401
    for _ in range(5):
        assert _login(attacker, user.email, "wrong password!") == 429

    throttled = list(
        db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "login.throttled", AuditEntry.object_id == str(user.id)
            )
        )
    )
    assert len(throttled) == 1
    assert throttled[0].details is not None
    assert throttled[0].details["scope"] == "pair"
    assert user.email not in repr(throttled[0].details)


def test_failed_logins_are_audited_by_account_id_never_by_email(
    new_client: ClientFactory, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.COORDINATOR, ("bishkek",))
    unknown = _unknown_email()
    client = new_client()

    assert _login(client, user.email, "not the password") == 401
    assert _login(client, unknown, "not the password") == 401
    assert _login(client, user.email, TEST_PASSWORD) == 200

    failed = list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "login.failed")
            .order_by(AuditEntry.at.desc())
            .limit(2)
        )
    )
    assert [(entry.object_type, entry.object_id) for entry in reversed(failed)] == [
        ("user", str(user.id)),
        ("user", None),
    ]
    assert [entry.details for entry in reversed(failed)] == [
        {"reason": "wrong-password"},
        {"reason": "unknown-account"},
    ]
    assert all(entry.actor_id is None for entry in failed)
    success = db.scalar(
        select(AuditEntry).where(AuditEntry.action == "login", AuditEntry.actor_id == user.id)
    )
    assert success is not None
    for entry in [*failed, success]:
        text = repr((entry.object_id, entry.details, entry.object_type, entry.action))
        assert user.email not in text
        assert unknown not in text


def test_a_disabled_account_is_a_failure_like_any_other(
    new_client: ClientFactory, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.COORDINATOR, ("osh",))
    user.is_active = False
    db.commit()

    assert _login(new_client(), user.email, TEST_PASSWORD) == 401
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "login.failed", AuditEntry.object_id == str(user.id)
        )
    )
    assert entry is not None
    assert entry.details == {"reason": "inactive"}


def test_an_address_with_a_nul_character_is_an_unknown_account(
    new_client: ClientFactory,
) -> None:
    assert _login(new_client(), "admin\x00@example.org", "whatever it is") == 401


def test_redis_keys_are_hmacs_with_an_expiry() -> None:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    throttle = LoginThrottle(storage=storage_for(TEST_REDIS_URL), settings=get_settings())
    email, address = _unknown_email(), _address()
    try:
        before = {key.decode() for key in client.scan_iter(match="birge:*")}
        throttle.record_failure(email=email, client=address)
        throttle.record_success(email=email, client=address)
        keys = {key.decode() for key in client.scan_iter(match="birge:*")} - before
        assert keys
        assert not any(email in key or address in key for key in keys)
        assert all(int(client.ttl(key)) > 0 for key in keys)
    finally:
        client.close()


def test_an_unreachable_redis_falls_back_to_counting_in_process() -> None:
    unreachable = RedisStorage(
        "redis://127.0.0.1:1/0", wrap_exceptions=True, socket_connect_timeout=0.2
    )
    throttle = LoginThrottle(storage=unreachable, settings=get_settings())
    email, address = _unknown_email(), _address()
    for _ in range(PER_MINUTE):
        assert throttle.check(email=email, client=address) is None
        throttle.record_failure(email=email, client=address)
    throttled = throttle.check(email=email, client=address)
    assert throttled is not None
    assert throttled.retry_after > 0


def test_the_embedded_broker_counts_in_process() -> None:
    assert isinstance(storage_for("filesystem://"), MemoryStorage)
    assert isinstance(storage_for(TEST_REDIS_URL), RedisStorage)


def test_the_pair_window_ends_a_minute_after_the_first_failure() -> None:
    throttle = LoginThrottle(storage=MemoryStorage(), settings=get_settings())
    email, address = _unknown_email(), _address()
    with time_machine.travel(datetime(2026, 12, 1, 6, 0, tzinfo=UTC), tick=False) as clock:
        for _ in range(PER_MINUTE):
            throttle.record_failure(email=email, client=address)
        clock.shift(timedelta(seconds=15))
        throttled = throttle.check(email=email, client=address)
        assert throttled is not None
        assert throttled.scope == "pair"
        assert throttled.retry_after == 45
        assert throttle.check(email=_unknown_email(), client=_address()) is None

        clock.shift(timedelta(seconds=46))
        assert throttle.check(email=email, client=address) is None
