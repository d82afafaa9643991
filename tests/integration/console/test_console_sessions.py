"""Signing in and out of the console, CSRF, idle expiry, password change and language."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, ConsoleSession, Language, Role, utcnow
from tests.conftest import TEST_PASSWORD, UserFactory
from tests.integration.console.conftest import SignedIn, sign_in


def test_root_sends_a_browser_to_the_console(anonymous: TestClient) -> None:
    answer = anonymous.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console"


def test_a_console_page_without_a_session_asks_to_sign_in_and_comes_back(
    anonymous: TestClient,
) -> None:
    answer = anonymous.get("/console/account?saved=password")
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == "/console/sign-in?next=%2Fconsole%2Faccount%3Fsaved%3Dpassword"
    )


def test_htmx_requests_without_a_session_load_the_sign_in_page_whole(
    anonymous: TestClient,
) -> None:
    answer = anonymous.get("/console", headers={"HX-Request": "true"})
    assert answer.status_code == 204
    assert answer.headers["HX-Redirect"].startswith("/console/sign-in?next=")


def test_signing_in_sets_an_httponly_lax_cookie_and_stores_only_its_hash(
    anonymous: TestClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.COORDINATOR, ("osh",))
    form = anonymous.get("/console/sign-in?next=/console/events")
    token = form.text.split('name="form_token" value="')[1].split('"')[0]
    answer = anonymous.post(
        "/console/sign-in",
        data={
            "email": user.email,
            "password": TEST_PASSWORD,
            "form_token": token,
            "next": "/console/events",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/events"
    cookie = next(
        value
        for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith("birge_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    raw = cookie.split(";")[0].split("=", 1)[1]
    stored = db.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user.id)).all()
    assert len(stored) == 1
    assert raw.encode() not in stored[0].token_hash
    assert anonymous.get("/console").status_code == 200


def test_next_never_leaves_the_console(anonymous: TestClient, make_user: UserFactory) -> None:
    user = make_user(Role.ADMIN)
    for target in ("https://evil.example/", "//evil.example/console", "/v1/users"):
        form = anonymous.get("/console/sign-in")
        token = form.text.split('name="form_token" value="')[1].split('"')[0]
        answer = anonymous.post(
            "/console/sign-in",
            data={
                "email": user.email,
                "password": TEST_PASSWORD,
                "form_token": token,
                "next": target,
            },
        )
        assert answer.headers["location"] == "/console"


def test_a_wrong_password_is_refused_and_audited(
    anonymous: TestClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.COORDINATOR, ("bishkek",))
    form = anonymous.get("/console/sign-in")
    token = form.text.split('name="form_token" value="')[1].split('"')[0]
    answer = anonymous.post(
        "/console/sign-in",
        data={"email": user.email, "password": "not it at all", "form_token": token},
    )
    assert answer.status_code == 401
    assert "Неверная эл. почта или пароль" in answer.text  # no Accept-Language: Russian
    failed = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "login.failed", AuditEntry.object_id == str(user.id))
    )
    assert failed == 1
    assert db.scalar(select(func.count()).select_from(ConsoleSession)) == 0


def test_the_sign_in_form_needs_its_own_token(
    anonymous: TestClient, make_user: UserFactory, db: Session
) -> None:
    user = make_user(Role.ADMIN)
    answer = anonymous.post(
        "/console/sign-in",
        data={"email": user.email, "password": TEST_PASSWORD, "form_token": "forged"},
    )
    assert answer.status_code == 403
    assert db.scalar(select(func.count()).select_from(ConsoleSession)) == 0


def test_the_console_login_shares_the_api_throttle(
    anonymous: TestClient, make_user: UserFactory
) -> None:
    user = make_user(Role.ADMIN)
    statuses = []
    for _attempt in range(12):
        form = anonymous.get("/console/sign-in")
        token = form.text.split('name="form_token" value="')[1].split('"')[0]
        statuses.append(
            anonymous.post(
                "/console/sign-in",
                data={"email": user.email, "password": "wrong guess", "form_token": token},
            ).status_code
        )
    assert statuses[0] == 401
    assert statuses[-1] == 429


def test_a_post_without_the_csrf_token_changes_nothing(signed_in: SignedIn, db: Session) -> None:
    client = signed_in(Role.COORDINATOR, ("osh",))
    for sent in ({}, {"csrf": "wrong"}, {"csrf": ""}):
        answer = client.post("/console/language", data={"language": "en", **sent})
        assert answer.status_code == 403
        db.refresh(client.user)
        assert client.user.language is None
    answer = client.post("/console/language", data={"language": "en", "csrf": client.csrf})
    assert answer.status_code == 303
    db.refresh(client.user)
    assert client.user.language is Language.EN


def test_the_csrf_token_also_comes_as_the_htmx_header(signed_in: SignedIn, db: Session) -> None:
    client = signed_in()
    answer = client.post(
        "/console/language", data={"language": "ky"}, headers={"X-CSRF-Token": client.csrf}
    )
    assert answer.status_code == 303
    db.refresh(client.user)
    assert client.user.language is Language.KY


def test_the_chosen_language_is_remembered_for_the_user(signed_in: SignedIn) -> None:
    client = signed_in()
    client.post("/console/language", data={"language": "ky", "csrf": client.csrf})
    page = client.get("/console", headers={"Accept-Language": "en"})
    assert '<html lang="ky">' in page.text
    assert "Башкы бет" in page.text


def test_without_a_choice_the_browser_language_is_used(signed_in: SignedIn) -> None:
    client = signed_in()
    page = client.get("/console", headers={"Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"})
    assert '<html lang="en">' in page.text
    assert "Dashboard" in page.text


def test_signing_out_ends_the_session_for_good(signed_in: SignedIn, db: Session) -> None:
    client = signed_in()
    cookie = dict(client.cookies)
    assert client.post("/console/sign-out", data={"csrf": client.csrf}).status_code == 303
    assert db.scalar(select(func.count()).select_from(ConsoleSession)) == 0
    # The old cookie, replayed, no longer opens anything.
    client.cookies.update(cookie)
    assert client.get("/console").status_code == 303


def test_a_session_ends_after_the_idle_time(signed_in: SignedIn) -> None:
    client = signed_in()
    assert client.get("/console").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        assert client.get("/console").status_code == 303


def test_a_used_session_stays_alive_and_ends_at_its_total_limit(signed_in: SignedIn) -> None:
    client = signed_in()
    start = utcnow()
    for minutes in range(50, 12 * 60, 50):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/console").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1)):
        assert client.get("/console").status_code == 303


def test_deactivating_the_account_ends_its_sessions(signed_in: SignedIn, db: Session) -> None:
    client = signed_in()
    client.user.is_active = False
    db.commit()
    assert client.get("/console").status_code == 303


def test_a_password_change_keeps_this_browser_and_ends_the_others(
    signed_in: SignedIn, console_app: object, db: Session
) -> None:
    client = signed_in()
    other = TestClient(console_app, follow_redirects=False)  # type: ignore[arg-type]
    sign_in(other, client.user.email)
    answer = client.post(
        "/console/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "a long and unusual passphrase 42",
            "csrf": client.csrf,
        },
    )
    assert answer.status_code == 303
    assert client.get("/console").status_code == 200
    assert other.get("/console").status_code == 303


def test_a_wrong_current_password_changes_nothing(signed_in: SignedIn, db: Session) -> None:
    client = signed_in()
    before = client.user.password_hash
    answer = client.post(
        "/console/account/password",
        data={
            "current_password": "not the password",
            "new_password": "a long and unusual passphrase 42",
            "csrf": client.csrf,
        },
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 403
    assert "The current password is not right." in answer.text
    db.refresh(client.user)
    assert client.user.password_hash == before


def test_console_pages_forbid_framing_and_foreign_scripts(signed_in: SignedIn) -> None:
    page = signed_in().get("/console")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"


def test_static_files_are_served_with_long_lifetimes(anonymous: TestClient) -> None:
    page = anonymous.get("/console/sign-in")
    href = page.text.split('<link rel="stylesheet" href="')[1].split('"')[0]
    answer = anonymous.get(href)
    assert answer.status_code == 200
    assert "immutable" in answer.headers["cache-control"]
    assert anonymous.get("/console/static/../app.py").status_code == 404
