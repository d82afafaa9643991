"""The Indicators page in Chromium: an administrator defines an indicator, with the formula
checked as it is typed (JavaScript) or by the Check button (none), at 360 and 1280 px; the
list shows it against its target with its bar; axe-core on the list and the form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from birge_shared.models import Indicator, Role
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    new_context,
    sign_in,
)


@pytest.fixture
def no_indicators(raw_engine: object) -> Iterator[None]:
    """The server commits what the browser saves; remove it so no other test sees it."""
    assert isinstance(raw_engine, Engine)
    yield
    with Session(raw_engine) as session:
        session.execute(delete(Indicator))
        session.commit()


def _fill(page: Page, formula: str) -> None:
    page.fill("#f-code", "OUT-2.1")
    page.fill("#f-name_en", "Intergroup activities held")
    page.fill("#f-name_ru", "Проведённые межгрупповые мероприятия")
    page.select_option("#f-unit", "count")
    page.fill("#f-target", "12")
    page.fill("#f-formula", formula)


@pytest.mark.usefixtures("no_indicators")
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_admin_defines_an_indicator(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    *,
    javascript: bool,
    viewport: dict[str, int],
) -> None:
    admin = console_users.add(Role.ADMIN, ())
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, admin, next_path="/console/indicators")
        page.get_by_role("link", name="New indicator").click()
        page.wait_for_url(f"{live_server}/console/indicators/new")
        _fill(page, "events_held / budget")
        if not javascript:
            page.get_by_role("button", name="Check the formula").click()
        check = page.locator("#formula-check")
        expect(check).to_contain_text("unknown figure 'budget' at column 15")
        if not javascript:
            expect(page.locator("#f-code")).to_have_value("OUT-2.1")  # the form came back
        page.fill("#f-formula", "events_held")
        if not javascript:
            page.get_by_role("button", name="Check the formula").click()
        expect(page.locator("#formula-check")).to_contain_text("It reads: events_held")
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(f"{live_server}/console/indicators?saved=1")
        section = page.locator("section.indicator", has_text="OUT-2.1")
        expect(section).to_contain_text("Intergroup activities held")
        expect(section.locator("svg[role=img]")).to_have_count(1)
        expect(section.locator("tbody tr")).to_have_count(2)  # Bishkek and Osh
        # Nothing overflows the phone's width.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1
    finally:
        context.close()


@pytest.mark.usefixtures("no_indicators")
@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_indicator_pages_are_accessible(
    browser: Browser, live_server: str, console_users: ConsoleUsers, language: str
) -> None:
    admin = console_users.add(Role.ADMIN, ())
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, admin, next_path="/console/indicators/new")
        _fill(page, "participants_attended / participants_invited * 100")
        expect(page.locator("#formula-check")).to_contain_text("participants_invited")
        assert_accessible(page)
        page.locator("form.stack button[type=submit]").first.click()
        page.wait_for_url(f"{live_server}/console/indicators?saved=1")
        expect(page.locator("section.indicator svg")).to_have_count(1)
        assert_accessible(page)
    finally:
        context.close()
