"""The client address comes from X-Forwarded-For only as written by TRUSTED_PROXIES.

The attack: from 127.0.0.1 (or any address), rotate X-Forwarded-For with every guess, so each
guess looks like a new client and the per-client login throttle never engages.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage
from pydantic import ValidationError

from birge_api import proxies
from birge_api.auth.throttle import PAIR_LIMITS, LoginThrottle, get_login_throttle
from birge_shared.models import Role
from birge_shared.settings import Settings, get_settings
from tests.conftest import TEST_PASSWORD, UserFactory

PER_MINUTE = PAIR_LIMITS[0].amount


def _random_address() -> str:
    return f"198.51.100.{secrets.randbelow(250) + 1}, 203.0.{secrets.randbelow(250)}.7"


def _login(client: TestClient, email: str, password: str, forwarded_for: str) -> int:
    response = client.post(
        "/v1/auth/token",
        data={"username": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def _with_proxies(app: FastAPI, trusted: str | None) -> FastAPI:
    throttle = LoginThrottle(storage=MemoryStorage(), settings=get_settings())
    app.dependency_overrides[get_login_throttle] = lambda: throttle
    if trusted is not None:
        settings = Settings(trusted_proxies=trusted)
        proxies.install(app, settings)
    return app


@pytest.fixture
def local_client(app: FastAPI) -> Iterator[TestClient]:
    """Calls from 127.0.0.1, with TRUSTED_PROXIES left at its default (none)."""
    with TestClient(_with_proxies(app, None), client=("127.0.0.1", 40000)) as client:
        yield client


@pytest.fixture
def behind_proxy(app: FastAPI) -> Iterator[TestClient]:
    """Calls arriving through a proxy at 10.1.2.3, inside TRUSTED_PROXIES=10.0.0.0/8."""
    app = _with_proxies(app, "10.0.0.0/8")
    with TestClient(app, client=("10.1.2.3", 40000)) as client:
        yield client


def test_by_default_a_rotated_header_from_localhost_is_ignored(
    local_client: TestClient, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    for _ in range(PER_MINUTE):
        assert _login(local_client, user.email, "wrong password!", _random_address()) == 401
    assert _login(local_client, user.email, TEST_PASSWORD, _random_address()) == 429


def test_behind_a_trusted_proxy_the_left_of_the_header_is_the_callers_own_writing(
    behind_proxy: TestClient, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    attacker = "203.0.113.66"
    for _ in range(PER_MINUTE):
        # The attacker writes a fresh address each time; the proxy appends the real one.
        forged = f"{_random_address()}, {attacker}"
        assert _login(behind_proxy, user.email, "wrong password!", forged) == 401
    assert _login(behind_proxy, user.email, TEST_PASSWORD, f"1.2.3.4, {attacker}") == 429
    # Another caller through the same proxy is another client.
    assert _login(behind_proxy, user.email, TEST_PASSWORD, "203.0.113.67") == 200


def test_a_chain_of_trusted_proxies_is_skipped_from_the_right(
    behind_proxy: TestClient, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    for _ in range(PER_MINUTE):
        chain = f"{_random_address()}, 203.0.113.80, 10.9.9.9"
        assert _login(behind_proxy, user.email, "wrong password!", chain) == 401
    assert _login(behind_proxy, user.email, TEST_PASSWORD, "203.0.113.80, 10.2.2.2") == 429


@pytest.mark.parametrize("value", ["*", "not-an-address", "10.0.0.1/8"])
def test_trusted_proxies_are_addresses_or_networks(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(trusted_proxies=value)


def test_trusted_proxies_default_to_none() -> None:
    assert Settings().trusted_proxies == []
