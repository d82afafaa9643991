"""The event page and the invite wizard in Chromium: live counts while an answer arrives, the
live segment counter, withdraw, the wizard's proposal and one send; without JavaScript the same
forms; axe-core in ky, ru and en; screenshots for README.md."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from birge_shared.models import InvitationStatus, Role
from tests.e2e.conftest import CommittedRows
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    double_click_lands,
    new_context,
    screenshot,
    sign_in,
)

#: Longer than the page's polling interval, so a change is seen by the next poll.
POLL_WAIT_MS = 15_000


def _fits(page: Page, viewport: dict[str, int]) -> None:
    """Nothing makes the whole page scroll sideways (wide tables scroll inside their box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width} px wide"


def test_a_coordinator_runs_an_event_with_javascript(
    browser: Browser, live_server: str, console_users: ConsoleUsers, committed: CommittedRows
) -> None:
    roster = committed.event_with_roster()
    mark = committed.outbox_mark()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=LAPTOP)
    page = context.new_page()
    try:
        path = f"/console/events/{roster.event.id}"
        sign_in(page, live_server, user, next_path=path)
        roster_table = page.locator("table.roster")
        expect(roster_table).to_contain_text("Айгүл Бекова")
        expect(roster_table).to_contain_text("the handset is unreachable")
        expect(page.locator("table.waitlist")).to_contain_text("Данияр Токтогулов")
        counts = page.locator("#event-counts")
        expect(counts).to_contain_text("2 confirmed of 8 seats")
        screenshot(page, "event-page")

        # An answer arrives elsewhere: the counts change without a reload.
        committed.set_invitation_status(roster.awaiting, InvitationStatus.ACCEPTED)
        expect(counts).to_contain_text("3 confirmed of 8 seats", timeout=POLL_WAIT_MS)

        page.fill("#message-text", "Room 204 tonight")
        expect(page.locator("#message-cost")).to_contain_text("GSM-7")
        page.fill("#message-text", "Кабинет 204")
        expect(page.locator("#message-cost")).to_contain_text("UCS-2")
        page.click("button:has-text('Send to the confirmed people')")
        expect(page.locator(".alert.ok")).to_contain_text("on its way")

        row = roster_table.locator("tr", has_text="Бакыт Осмонов")
        row.locator("input[name=reason]").fill("ill")
        row.locator("button:has-text('Withdraw')").click()
        expect(page.locator(".alert.ok")).to_contain_text("withdrawn")
        expect(page.locator("table.roster tr", has_text="Бакыт Осмонов")).to_contain_text(
            "Withdrawn"
        )
    finally:
        context.close()
        committed.remove_outbox_since(mark)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_wizard_invites_hand_picked_people_once(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    *,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    roster = committed.event_with_roster()
    mark = committed.outbox_mark()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        picked = "&".join(f"participant={person_id}" for person_id in roster.uninvited)
        path = f"/console/events/{roster.event.id}/invite"
        sign_in(page, live_server, user, next_path=path)
        page.goto(f"{live_server}{path}?{picked}")
        expect(page.locator("#mode-people")).to_be_checked()
        page.click("button:has-text('See the proposal')")
        expect(page.locator("h1")).to_have_text("Check the proposal")
        expect(page.locator("main form")).to_contain_text("Эльмира Касымова")
        expect(page.locator(".sms-sample").first).to_contain_text(re.compile(r"\d+ segments? each"))
        _fits(page, viewport)
        if javascript and viewport is LAPTOP:
            screenshot(page, "invite-wizard")
        # A double-click posts the form twice with one Idempotency-Key: one batch.
        double_click_lands(page, "button.send", re.compile(r".*/console/events/[^/]+\?batch=.*"))
        expect(page.locator(".alert.ok")).to_contain_text("2 invited")
        assert committed.batches_of(roster.event) == 1
        # Back to the proposal (reloaded): everyone is invited already, nobody is checked.
        page.go_back()
        expect(page.locator("main")).to_contain_text("0 to invite now")
        expect(page.locator("main")).to_contain_text("2 people already have an invitation")
        page.goto(f"{live_server}/console/events/{roster.event.id}")
        expect(page.locator("table.roster")).to_contain_text("Нурлан Абдыкеров")
    finally:
        context.close()
        committed.remove_outbox_since(mark)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
def test_without_javascript_the_event_page_forms_still_work(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    viewport: dict[str, int],
) -> None:
    roster = committed.event_with_roster()
    mark = committed.outbox_mark()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=False)
    page = context.new_page()
    try:
        path = f"/console/events/{roster.event.id}"
        sign_in(page, live_server, user, next_path=path)
        _fits(page, viewport)
        page.fill("#message-text", "Room 204 tonight")
        page.click("button:has-text('Count segments')")
        expect(page.locator("#message-cost")).to_contain_text("GSM-7")
        expect(page.locator("#message-text")).to_have_value("Room 204 tonight")
        waiting = page.locator("table.waitlist tr", has_text="Данияр Токтогулов")
        waiting.locator("button:has-text('Invite now')").click()
        expect(page.locator(".alert.ok")).to_contain_text("invited from the waitlist")
        expect(page.locator("table.roster")).to_contain_text("Данияр Токтогулов")
    finally:
        context.close()
        committed.remove_outbox_since(mark)


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_event_page_and_the_wizard_pass_axe(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    language: str,
) -> None:
    roster = committed.event_with_roster()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    viewer = console_users.add(Role.VIEWER, ("osh",))
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    try:
        path = f"/console/events/{roster.event.id}"
        sign_in(page, live_server, user, next_path=path)
        assert_accessible(page)
        page.goto(f"{live_server}{path}/invite?participant={roster.uninvited[0]}")
        assert_accessible(page)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(re.compile(r".*/invite/proposal.*"))
        assert_accessible(page)
        page.goto(f"{live_server}{path}/sign-in-sheet")
        assert_accessible(page)
        page.context.clear_cookies()
        sign_in(page, live_server, viewer, next_path=path)
        assert_accessible(page)
        for name in ("Айгүл", "Бакыт", "***"):
            expect(page.locator("main")).not_to_contain_text(name)
    finally:
        context.close()
