"""Reports and administration in Chromium: at a phone's width and a laptop's, with and without
JavaScript, axe-core in each language, and the screenshots README.md shows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from birge_shared.models import AuditEntry, Role, User
from tests.e2e.conftest import CommittedRows
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    new_context,
    screenshot,
    sign_in,
)
from tests.integration.console.report_data import EMAIL, NAME

STRONG = "violet tram under quiet rain"


@pytest.fixture
def created_emails(raw_engine: object) -> Iterator[list[str]]:
    """Accounts the tests create through the page, deleted afterwards."""
    assert isinstance(raw_engine, Engine)
    emails: list[str] = []
    yield emails
    with Session(raw_engine) as session:
        ids = list(session.scalars(select(User.id).where(User.email.in_(emails))))
        session.execute(delete(AuditEntry).where(AuditEntry.object_id.in_([str(i) for i in ids])))
        session.execute(delete(User).where(User.id.in_(ids)))
        session.commit()


def _no_personal_data(page: Page, phones: list[str]) -> None:
    text = page.content()
    assert NAME not in text
    assert EMAIL not in text
    for phone in phones:
        assert phone[-6:] not in text


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_viewer_reads_the_summary_filters_it_and_opens_an_event_report(
    *,
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    title = f"Report evening {uuid.uuid4().hex[:6]}"
    made = committed.reported_event(title=title)
    viewer = console_users.add(Role.VIEWER, ("bishkek", "osh"))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, viewer, next_path="/console/reports")
        expect(page.locator("h1")).to_have_text("Reports")
        expect(page.locator("#report-results svg.chart")).to_have_count(4)
        expect(page.get_by_role("link", name=title)).to_be_visible()

        page.select_option("#f-activity", "games")
        if not javascript:
            page.click("form.filters button[type=submit]")
        expect(page).to_have_url(re.compile(r"activity_type=games"))
        expect(page.get_by_role("link", name=title)).to_have_count(0)
        page.select_option("#f-activity", "cooking")
        if not javascript:
            page.click("form.filters button[type=submit]")
        expect(page.get_by_role("link", name=title)).to_be_visible()
        _no_personal_data(page, made.phones)
        if javascript and viewport == LAPTOP:
            screenshot(page, "reports")

        with page.expect_download() as download:
            page.click("a[href^='/console/reports/export.csv']")
        assert download.value.suggested_filename.endswith(".csv")

        page.get_by_role("link", name=title).click()
        expect(page.locator("h1")).to_contain_text(title)
        expect(page.locator("svg.chart")).to_have_count(4)
        expect(page.locator("svg.chart title").first).to_have_text("From invitation to attendance")
        _no_personal_data(page, made.phones)
        if javascript and viewport == LAPTOP:
            screenshot(page, "event-report")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_administrator_creates_an_account_counts_a_text_and_reads_the_audit_log(
    *,
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    created_emails: list[str],
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    admin = console_users.add(Role.ADMIN, ())
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    created_emails.append(email)
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, admin, next_path="/console/admin/users")
        page.fill("#f-email", email)
        page.fill("#f-password", "password1234")
        page.select_option("#f-role", "coordinator")
        page.check("input[name=cities][value=osh]")
        page.click("form[action='/console/admin/users'] button[type=submit]")
        expect(page.locator(".alert.error")).to_contain_text("password")
        expect(page.locator("#f-email")).to_have_value(email)

        page.fill("#f-password", STRONG)
        page.check("input[name=cities][value=osh]")
        page.click("form[action='/console/admin/users'] button[type=submit]")
        expect(page.locator(".alert.ok")).to_be_visible()
        expect(page.get_by_role("link", name=email)).to_be_visible()
        if javascript and viewport == LAPTOP:
            screenshot(page, "admin-users")

        page.goto(f"{live_server}/console/admin/templates/help/en")
        body = page.locator("#f-body")
        body.fill("a" * 161)
        if not javascript:
            page.click("button[formaction$='/preview']")
        expect(page.locator("#segments")).to_contain_text("2 segments")
        if javascript and viewport == LAPTOP:
            screenshot(page, "admin-templates")
        body.fill("Birge: call {phone}")
        if not javascript:
            page.click("button[formaction$='/preview']")
        expect(page.locator("#segments, .alert.error").first).to_contain_text(
            "Unknown placeholder {phone}"
        )

        page.goto(f"{live_server}/console/admin/audit")
        page.fill("#f-action", "user.create")
        page.click("form.filters button[type=submit]")
        expect(page).to_have_url(re.compile(r"action=user\.create"))
        expect(page.locator("#audit-results")).to_contain_text(admin.email)
        if javascript and viewport == LAPTOP:
            screenshot(page, "admin-audit")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_report_and_administration_pages_pass_axe(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    language: str,
) -> None:
    made = committed.reported_event(title="Axe evening")
    admin = console_users.add(Role.ADMIN, ())
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, admin)
        for path in (
            "/console/reports",
            f"/console/reports/events/{made.event.id}",
            "/console/admin",
            "/console/admin/users",
            f"/console/admin/users/{admin.id}",
            "/console/admin/templates",
            "/console/admin/templates/invitation/ky",
            "/console/admin/budget",
            "/console/admin/audit",
            "/console/admin/retention",
        ):
            page.goto(f"{live_server}{path}")
            assert page.locator("html").get_attribute("lang") == language
            assert_accessible(page)
    finally:
        context.close()


def test_a_coordinator_is_refused_the_administration(
    browser: Browser, live_server: str, console_users: ConsoleUsers
) -> None:
    coordinator = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server, coordinator)
        expect(page.get_by_role("link", name="Administration")).to_have_count(0)
        answer = page.goto(f"{live_server}/console/admin/users")
        assert answer is not None
        assert answer.status == 403
    finally:
        context.close()
