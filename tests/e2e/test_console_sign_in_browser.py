"""Signing in to the console in Chromium, at a phone's width and a laptop's, with and without
JavaScript, and axe-core on the pages every role sees first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from birge_shared.models import Role
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    new_context,
    sign_in,
)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_coordinator_signs_in_switches_language_and_signs_out(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user)
        assert page.locator("h1").inner_text() == "Dashboard"
        page.select_option("#language-choice", "ky")
        page.click("form[action='/console/language'] button")
        page.wait_for_selector("html[lang=ky]")
        assert page.locator("h1").inner_text() == "Башкы бет"
        page.click("form[action='/console/sign-out'] button")
        page.wait_for_url(f"{live_server}/console/sign-in")
        page.goto(f"{live_server}/console")
        assert "/console/sign-in" in page.url
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_sign_in_page_and_dashboard_pass_axe(
    browser: Browser, live_server: str, console_users: ConsoleUsers, language: str
) -> None:
    user = console_users.add(Role.VIEWER, ("bishkek", "osh"))
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/console/sign-in")
        assert_accessible(page)
        sign_in(page, live_server, user)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)
        page.goto(f"{live_server}/console/account")
        assert_accessible(page)
    finally:
        context.close()
