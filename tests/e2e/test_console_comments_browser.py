"""The event page's comments section in Chromium: read on request, hide one that names someone,
with JavaScript (in place) and without (its own page); axe-core on the section."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from birge_shared.crypto import get_cipher
from birge_shared.models import Event, Role, SurveyResponse
from birge_shared.pseudonyms import pseudonym
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

NAMING = "Тимур из общежития снова опоздал"
KIND = "Очень понравилось готовить вместе"


def _comments(committed: CommittedRows) -> Event:
    roster = committed.event_with_roster()
    cipher = get_cipher()
    committed.add(
        *(
            SurveyResponse(
                event_id=roster.event.id,
                pseudonym=pseudonym(invitation.participant_id),
                kind="post",
                community=None,
                rating=5,
                comment_encrypted=cipher.encrypt(text),
                channel="page",
                answered_at=datetime(2026, 11, 28, tzinfo=UTC),
            )
            for invitation, text in zip(roster.confirmed, (KIND, NAMING), strict=True)
        )
    )
    return roster.event


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_coordinator_reads_the_comments_and_hides_one(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    *,
    javascript: bool,
    viewport: dict[str, int],
) -> None:
    event = _comments(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        path = f"/console/events/{event.id}"
        sign_in(page, live_server, user, next_path=path)
        section = page.locator("#comments")
        expect(section).not_to_contain_text(NAMING)  # read only when asked
        section.get_by_role("link", name="Read the participants' comments").click()
        if javascript:
            expect(page).to_have_url(f"{live_server}{path}")  # fetched in place
        else:
            page.wait_for_url(f"{live_server}{path}/comments")
        section = page.locator("#comments")
        expect(section).to_contain_text(NAMING)
        expect(section).to_contain_text(KIND)
        if javascript and viewport is LAPTOP:
            screenshot(page, "event-comments")
        item = section.locator("li", has_text=NAMING)
        item.get_by_role("button", name="Hide").click()
        expect(page.locator("#comments .alert.ok")).to_contain_text("The comment is hidden")
        expect(page.locator("#comments")).not_to_contain_text(NAMING)
        expect(page.locator("#comments")).to_contain_text(KIND)
        expect(page.locator("#comments")).to_contain_text("Hidden comments: 1")
        page.reload()
        expect(page.locator("body")).not_to_contain_text(NAMING)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_comments_section_is_accessible_in_every_language(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    language: str,
) -> None:
    event = _comments(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    try:
        path = f"/console/events/{event.id}"
        sign_in(page, live_server, user, next_path=path)
        page.locator("#comments a.button").click()
        expect(page.locator("#comments")).to_contain_text(NAMING)
        assert_accessible(page)
    finally:
        context.close()


def test_a_viewer_sees_no_comments_section(
    browser: Browser, live_server: str, console_users: ConsoleUsers, committed: CommittedRows
) -> None:
    event = _comments(committed)
    user = console_users.add(Role.VIEWER, ("osh",))
    context = new_context(browser, viewport=LAPTOP)
    page = context.new_page()
    try:
        path = f"/console/events/{event.id}"
        sign_in(page, live_server, user, next_path=path)
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("#comments")).to_have_count(0)
        answer = page.goto(f"{live_server}{path}/comments")
        assert answer is not None
        assert answer.status == 403
        expect(page.locator("body")).not_to_contain_text(NAMING)
    finally:
        context.close()
