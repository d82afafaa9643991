"""The participant page in Debian's Chromium at a phone's width, with and without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, expect

from birge_shared.models import InvitationStatus, Language
from tests.e2e.conftest import CommittedRows

PHONE: ViewportSize = {"width": 360, "height": 740}
#: A step may wait this long: the page answers in well under a second, but the suite runs in
#: two processes beside Chromium on two cores, and a stalled machine is not a broken page.
ACTION_MS = 30_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.timeout(180)


def _watch_console(page: Page) -> list[str]:
    """Collects what the browser complains about (a blocked stylesheet shows up here)."""
    complaints: list[str] = []

    def _record(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            complaints.append(message.text)

    page.on("console", _record)
    return complaints


def test_a_kyrgyz_participant_accepts_on_a_phone(
    browser: Browser, live_server: str, committed: CommittedRows, tmp_path: Path
) -> None:
    invitation = committed.invitation(language=Language.KY, coordinates=(42.8746, 74.5698))
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        page.set_default_navigation_timeout(ACTION_MS)
        complaints = _watch_console(page)

        response = page.goto(f"{live_server}/p/{invitation.token}?lang=ky")
        assert response is not None
        assert response.status == 200
        assert page.locator("html").get_attribute("lang") == "ky"
        expect(page.locator("h1")).to_have_text("Бирге футбол")
        expect(page.get_by_text("Качан", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="Картадан көрүү")).to_have_attribute(
            "href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=42\.8746&mlon=74\.5698")
        )
        expect(page.get_by_role("link", name="Календарга кошуу")).to_be_visible()

        accept = page.get_by_role("button", name="Катышам")
        expect(accept).to_be_visible()
        # The inline stylesheet is allowed by its hash in the CSP: if the browser had blocked
        # it, the buttons would be small default ones, not thumb-sized.
        box = accept.bounding_box()
        assert box is not None
        assert box["height"] >= 44
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        # Readable at 360 px: nothing runs off the side of the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        screenshot = tmp_path / "participant-page-ky.png"
        page.screenshot(path=screenshot, full_page=True, timeout=ACTION_MS)
        data = screenshot.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 1000

        accept.click()
        page.wait_for_url(re.compile(r"[?&]done=accepted"))
        expect(page.get_by_role("status")).to_have_text("Рахмат! Жообуңуз сакталды: сиз катышасыз.")
        assert committed.status_of(invitation) is InvitationStatus.ACCEPTED
        assert complaints == []
    finally:
        context.close()


def test_declining_works_without_javascript(
    browser: Browser, live_server: str, committed: CommittedRows
) -> None:
    invitation = committed.invitation(language=Language.RU)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        page.set_default_navigation_timeout(ACTION_MS)

        response = page.goto(f"{live_server}/p/{invitation.token}")
        assert response is not None
        assert response.status == 200
        expect(page.locator("h1")).to_have_text("Футбол вместе")

        page.get_by_role("button", name="Не смогу").click()
        page.wait_for_url(re.compile(r"[?&]done=declined"))
        expect(page.get_by_role("status")).to_have_text(
            "Спасибо, что предупредили. Мы записали ваш ответ."
        )
        expect(page.get_by_role("button", name="Приду")).to_be_visible()
        assert committed.status_of(invitation) is InvitationStatus.DECLINED
    finally:
        context.close()


def test_stopping_all_messages_works_without_javascript(
    browser: Browser, live_server: str, committed: CommittedRows
) -> None:
    invitation = committed.invitation(language=Language.EN)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        page.set_default_navigation_timeout(ACTION_MS)

        response = page.goto(f"{live_server}/p/{invitation.token}")
        assert response is not None
        assert response.status == 200
        expect(page.get_by_role("heading", name="Messages from Birge")).to_be_visible()

        page.get_by_role("button", name="Stop all messages").click()
        expect(page.get_by_role("heading", name="No more messages")).to_be_visible()
        expect(page.get_by_text("You will get no more messages from Birge.")).to_be_visible()
        assert committed.status_of(invitation) is InvitationStatus.WITHDRAWN
        assert committed.opted_out(invitation)
    finally:
        context.close()
