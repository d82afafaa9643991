"""The console under TestClient: the whole application (API and console), one test's session.

`signed_in(role, cities)` signs a new user in through the real sign-in form and returns a
client that carries the session cookie and knows the session's CSRF token (`client.csrf`),
so a test posts a form as the browser would: `client.post(url, data={..., "csrf": client.csrf})`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_console.app import create_app
from birge_shared.models import Role, User
from tests.conftest import TEST_PASSWORD, UserFactory, use_test_session

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


class ConsoleClient(TestClient):
    csrf: str = ""
    user: User


@pytest.fixture
def console_app(db: Session) -> FastAPI:
    application = create_app()
    use_test_session(application, db)
    return application


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = TEST_PASSWORD) -> str:
    """Signs in through the form; returns the session's CSRF token."""
    form = client.get("/console/sign-in")
    token = _FORM_TOKEN.search(form.text)
    assert token, form.text
    answer = client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "form_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/console").text)


SignedIn = Callable[..., ConsoleClient]


@pytest.fixture
def signed_in(console_app: FastAPI, make_user: UserFactory) -> Iterator[SignedIn]:
    clients: list[ConsoleClient] = []

    def _sign_in(
        role: Role = Role.COORDINATOR, cities: tuple[str, ...] = ("bishkek",)
    ) -> ConsoleClient:
        user = make_user(role, cities)
        client = ConsoleClient(console_app, raise_server_exceptions=False, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        client.user = user
        client.csrf = sign_in(client, user.email)
        return client

    yield _sign_in
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def anonymous(console_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(console_app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture
def signed_in_english(signed_in: SignedIn) -> SignedIn:
    """`signed_in` whose clients read the pages in English, whatever the default language."""

    def _english(*args: object, **kwargs: object) -> ConsoleClient:
        client = signed_in(*args, **kwargs)
        client.headers["Accept-Language"] = "en"
        return client

    return _english
