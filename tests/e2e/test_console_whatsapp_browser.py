"""The WhatsApp templates page in Chromium, with JavaScript (htmx) and without: an administrator
registers a template, syncs its approval from Twilio's Content API (Prism serving the published
contract, through the real SDK), edits and deletes it; axe-core in each language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from birge_api.whatsapp_templates import service
from birge_shared.models import Role, WhatsAppTemplate
from birge_shared.providers.twilio_content import TwilioContentApi
from tests.contract.prism import CONTENT_SPEC, running_prism
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    new_context,
    sign_in,
)

PAGE = "/console/admin/whatsapp"
SID = "HX" + "0123456789abcdef" * 2
MODES = [(PHONE, True), (LAPTOP, False)]
MODE_IDS = ["360px-js", "1280px-no-js"]


@pytest.fixture(scope="module")
def content_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prism(tmp_path_factory.mktemp("prism-content"), spec=CONTENT_SPEC) as base_url:
        yield base_url


@pytest.fixture
def twilio_content(content_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live server (in this process) reads approvals from Prism through the SDK."""
    api = TwilioContentApi(
        account_sid="AC" + "0123456789abcdef" * 2,
        auth_token="browser-test-token",
        api_base=content_api,
    )
    monkeypatch.setattr(service, "content_api_from_settings", lambda settings: api)


@pytest.fixture
def no_templates(raw_engine: object) -> Iterator[None]:
    assert isinstance(raw_engine, Engine)

    def _clear() -> None:
        with Session(raw_engine) as session:
            session.execute(delete(WhatsAppTemplate))
            session.commit()

    _clear()
    yield
    _clear()


@pytest.mark.usefixtures("twilio_content", "no_templates")
@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_an_administrator_registers_syncs_edits_and_deletes_a_template(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    mode: tuple[dict[str, int], bool],
) -> None:
    viewport, javascript = mode
    admin = console_users.add(Role.ADMIN, ())
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, admin, next_path=PAGE)
        expect(page.get_by_text("No WhatsApp template is registered")).to_be_visible()

        page.select_option("#f-purpose", "invitation")
        page.select_option("#f-language", "ky")
        page.fill("#f-content-sid", SID)
        page.fill("#f-friendly-name", "birge_invitation_ky")
        page.fill("#f-variables", "title, date, time, venue, link")
        page.fill("#f-buttons", "accept, decline")
        page.click("form[action='/console/admin/whatsapp'] button[type=submit]")
        page.wait_for_url(f"{live_server}{PAGE}?saved=created")
        row = page.locator("#wa-templates tbody tr")
        expect(row).to_have_count(1)
        expect(row.first).to_contain_text("not submitted")
        expect(row.first).to_contain_text("never")

        page.click("text=Sync now")
        if javascript:
            # htmx swapped the table in place; the page did not move.
            expect(page.get_by_text("Read 1 templates from Twilio; 1 changed.")).to_be_visible()
            assert page.url == f"{live_server}{PAGE}?saved=created"
        else:
            page.wait_for_url(f"{live_server}{PAGE}?saved=synced")
            expect(page.get_by_text("The approvals were read from Twilio.")).to_be_visible()
        expect(row.first).to_contain_text("approved")
        expect(row.first).to_contain_text("utility")
        expect(row.first).not_to_contain_text("never")

        page.click("#wa-templates tbody a")
        expect(page.locator("h1")).to_contain_text("invitation")
        page.fill("#f-buttons", "accept, maybe")
        page.click("form[aria-labelledby=edit] button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("buttons.1")
        page.fill("#f-buttons", "accept")
        page.click("form[aria-labelledby=edit] button[type=submit]")
        page.wait_for_url(f"{live_server}{PAGE}?saved=changed")

        page.click("#wa-templates tbody a")
        page.click("text=Delete the template")
        page.wait_for_url(f"{live_server}{PAGE}?saved=deleted")
        expect(page.get_by_text("No WhatsApp template is registered")).to_be_visible()
    finally:
        context.close()


@pytest.mark.usefixtures("no_templates")
@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_page_is_accessible_in_each_language(
    browser: Browser, live_server: str, console_users: ConsoleUsers, language: str
) -> None:
    admin = console_users.add(Role.ADMIN, ())
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, admin, next_path=PAGE)
        assert_accessible(page)
    finally:
        context.close()
