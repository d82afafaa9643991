"""Saved participant filters in Chromium: save the list's filter, apply it with one click,
rename it, invite from it in the wizard, delete it; at 360 px and 1280 px, with JavaScript and
without, and axe-core in each language."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from birge_shared.models import Language, Role
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

LIST = "/console/participants"
MODES = [(PHONE, True), (PHONE, False), (LAPTOP, True), (LAPTOP, False)]
MODE_IDS = ["360px-js", "360px-no-js", "1280px-js", "1280px-no-js"]


def _apply_language(page: Page, code: str) -> None:
    page.select_option("#f-language", code)
    page.click("#search button[type=submit]")
    expect(page.locator("#save-name")).to_be_visible()


def _fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    size = page.viewport_size
    assert size is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_a_coordinator_saves_applies_renames_invites_from_and_deletes_a_filter(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    mode: tuple[dict[str, int], bool],
) -> None:
    viewport, javascript = mode
    user = console_users.add(Role.COORDINATOR, ("bishkek",))
    kyrgyz = committed.participant(city="bishkek", language=Language.KY, name="Жаңыл Сүйүнбаева")
    committed.participant(city="bishkek", language=Language.RU, name="Ольга Смирнова")
    event = committed.event(city="bishkek", capacity=60, min_share=0)
    name = f"Kyrgyz speakers {uuid.uuid4().hex[:4]}"
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=LIST)
        _apply_language(page, "ky")
        page.fill("#save-name", name)
        page.click(".save-filter button[type=submit]")
        expect(page.get_by_role("status").first).to_contain_text("The filter is saved.")
        saved = page.locator(".saved-list a", has_text=name)
        expect(saved).to_have_attribute("aria-current", "true")
        _fits(page)
        if javascript and viewport is LAPTOP:
            screenshot(page, "saved-filters")

        # Applied again from a fresh list, with one click.
        page.goto(f"{live_server}{LIST}")
        page.locator(".saved-list a", has_text=name).click()
        expect(page.locator("table.people")).to_contain_text("Жаңыл Сүйүнбаева")
        expect(page.locator("table.people")).not_to_contain_text("Ольга Смирнова")
        expect(page.locator("#f-language")).to_have_value("ky")

        item = page.locator(".saved-list li", has_text=name)
        item.locator("summary").click()
        renamed = f"{name} (renamed)"
        item.locator("input[name=filter_name]").fill(renamed)
        item.locator("button", has_text="Rename").click()
        expect(page.get_by_role("status").first).to_contain_text("The filter is renamed.")
        expect(page.locator(".saved-list a", has_text=renamed)).to_be_visible()

        # The wizard's third pool: the saved filter, proposed as its criteria would be.
        page.goto(f"{live_server}/console/events/{event.id}/invite")
        page.check("#mode-filter")
        page.select_option("#f-saved", label=renamed)
        page.click("button:has-text('See the proposal')")
        expect(page.locator("h1")).to_have_text("Check the proposal")
        expect(page.locator("main form")).to_contain_text("Жаңыл Сүйүнбаева")
        expect(page.locator("main form")).not_to_contain_text("Ольга Смирнова")
        assert f"participant={kyrgyz.id}" not in page.url
        _fits(page)

        page.goto(f"{live_server}{LIST}")
        item = page.locator(".saved-list li", has_text=renamed)
        item.locator("summary").click()
        item.locator("button", has_text="Delete this filter").click()
        expect(page.get_by_role("status").first).to_contain_text("The filter is deleted.")
        expect(page.locator(".saved-list a", has_text=renamed)).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_saved_filter_forms_pass_axe(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    language: str,
) -> None:
    user = console_users.add(Role.COORDINATOR, ("bishkek", "osh"))
    event = committed.event(city="bishkek")
    for viewport in (PHONE, LAPTOP):
        context = new_context(browser, language=language, viewport=viewport, for_axe=True)
        page = context.new_page()
        try:
            sign_in(page, live_server, user, next_path=LIST)
            # A filter of its own for each screen: one already saved is not offered again.
            window = "not30" if viewport is PHONE else "not90"
            page.goto(f"{live_server}{LIST}?language=ru&city=bishkek&invited={window}")
            page.fill("#save-name", f"Axe {uuid.uuid4().hex[:6]}")
            page.click(".save-filter button[type=submit]")
            page.wait_for_url(re.compile(r".*filter=saved"))
            page.locator(".saved-list summary").first.click()
            assert_accessible(page)
            # Without a city chosen, the save form asks for one (two cities to choose from).
            page.goto(f"{live_server}{LIST}?community=host")
            expect(page.locator("#save-city")).to_be_visible()
            assert_accessible(page)
            page.goto(f"{live_server}/console/events/{event.id}/invite")
            expect(page.locator("#f-saved")).to_be_visible()
            assert_accessible(page)
        finally:
            context.close()
