"""Login throttling through the API, on Redis (the test broker) and on the in-process counter."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.auth.throttle import (
    MAX_FAILURES,
    WINDOW_SECONDS,
    LoginThrottle,
    MemoryCounter,
    RedisCounter,
    _counter_for,
    get_login_throttle,
)
from birge_shared.models import AuditEntry, Role
from birge_shared.settings import get_settings
from tests.conftest import TEST_PASSWORD, TEST_REDIS_URL, UserFactory

ClientFactory = Callable[[], TestClient]


def _address() -> str:
    # A fresh documentation address per client: Redis outlives each test's database rollback.
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def _unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:10]}@example.org"


@pytest.fixture(params=["redis", "memory"])
def throttled_app(request: pytest.FixtureRequest, app: FastAPI) -> FastAPI:
    if request.param == "memory":
        throttle = LoginThrottle(counter=MemoryCounter(), settings=get_settings())
        app.dependency_overrides[get_login_throttle] = lambda: throttle
    return app


@pytest.fixture
def new_client(throttled_app: FastAPI) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def _make() -> TestClient:
        client = TestClient(throttled_app, client=(_address(), 50000))
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.close()


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post("/v1/auth/token", data={"username": email, "password": password}).status_code


def test_five_failures_for_one_account_lock_it_for_every_client(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.COORDINATOR)
    for _ in range(MAX_FAILURES):
        # Each guess from another address: the per-client limit is not what stops them.
        assert _login(new_client(), user.email, "wrong password!") == 401

    response = new_client().post(
        "/v1/auth/token", data={"username": user.email.upper(), "password": TEST_PASSWORD}
    )

    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-many-attempts")
    assert "access_token" not in response.text
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW_SECONDS


def test_five_failures_from_one_client_lock_that_client_out_of_every_account(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    attacker = new_client()
    for _ in range(MAX_FAILURES):
        assert _login(attacker, _unknown_email(), "whatever it is") == 401

    refused = attacker.post(
        "/v1/auth/token", data={"username": user.email, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 429
    assert "access_token" not in refused.json()
    assert int(refused.headers["Retry-After"]) >= 1
    # The account itself is not locked: the owner signs in from elsewhere.
    assert _login(new_client(), user.email, TEST_PASSWORD) == 200


def test_a_success_elsewhere_does_not_reset_a_clients_count(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.VIEWER, ("osh",))
    attacker = new_client()
    for _ in range(MAX_FAILURES - 1):
        assert _login(attacker, _unknown_email(), "guess") == 401

    assert _login(new_client(), user.email, TEST_PASSWORD) == 200
    assert _login(attacker, _unknown_email(), "guess") == 401

    assert _login(attacker, user.email, TEST_PASSWORD) == 429


def test_failures_below_the_limit_do_not_block(
    new_client: ClientFactory, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    client = new_client()
    for _ in range(MAX_FAILURES - 1):
        assert _login(client, user.email, "typo in it") == 401
    assert _login(client, user.email, TEST_PASSWORD) == 200


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
    user = make_user(Role.COORDINATOR)
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


def test_redis_keys_are_hmacs_with_an_expiry(make_user: UserFactory) -> None:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    throttle = LoginThrottle(counter=RedisCounter(client, MemoryCounter()), settings=get_settings())
    email, address = _unknown_email(), _address()
    try:
        throttle.record_failure(email=email, client=address)
        keys = [key.decode() for key in client.scan_iter(match="birge:login-failures:*")]
        assert keys
        assert not any(email in key or address in key for key in keys)
        account_keys = [key for key in keys if key.startswith("birge:login-failures:account:")]
        ttls = [int(client.ttl(key)) for key in account_keys]
        assert ttls
        assert all(0 < ttl <= WINDOW_SECONDS for ttl in ttls)
    finally:
        client.close()


def test_an_unreachable_redis_falls_back_to_counting_in_process() -> None:
    unreachable = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    throttle = LoginThrottle(
        counter=RedisCounter(unreachable, MemoryCounter()), settings=get_settings()
    )
    email, address = _unknown_email(), _address()
    for _ in range(MAX_FAILURES):
        assert throttle.retry_after(email=email, client=address) == 0
        throttle.record_failure(email=email, client=address)
    assert throttle.retry_after(email=email, client=address) > 0
    unreachable.close()


def test_the_embedded_broker_counts_in_process() -> None:
    assert isinstance(_counter_for("filesystem://"), MemoryCounter)
    assert isinstance(_counter_for(TEST_REDIS_URL), RedisCounter)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_in_process_window_ends_a_minute_after_the_first_failure() -> None:
    clock = _Clock()
    counter = MemoryCounter(clock=clock)
    keys = ["account:a", "client:b"]
    for _ in range(MAX_FAILURES):
        counter.add_failure(keys)
    clock.now += 15
    assert counter.retry_after(keys) == WINDOW_SECONDS - 15
    assert counter.retry_after(["account:a"]) == WINDOW_SECONDS - 15
    assert counter.retry_after(["account:other"]) == 0

    clock.now += WINDOW_SECONDS - 15
    assert counter.retry_after(keys) == 0
    counter.add_failure(keys)
    assert counter.retry_after(keys) == 0
