"""The event page's teams and tables in Chromium: split, move a person, print the team sheet,
with and without JavaScript, on a phone and a laptop; axe-core; a screenshot for README.md."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from birge_shared.models import Community, Invitation, InvitationStatus, Language, Role
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

NAMES = {
    Community.HOST: ["Айгүл Бекова", "Азамат Жумабаев", "Эльмира Касымова", "Нурлан Абдыкеров"],
    Community.MIGRANT: ["Dilnoza Karimova", "Rustam Aliev", "Ali Hassan", "Priya Sharma"],
}


def _room(committed: CommittedRows) -> str:
    event = committed.event(city="osh", capacity=10, min_share=0.4)
    people = [
        committed.participant(city="osh", name=name, community=community, language=Language.RU)
        for community, names in NAMES.items()
        for name in names
    ]
    committed.add(
        *(
            Invitation(event_id=event.id, participant_id=p.id, status=InvitationStatus.ACCEPTED)
            for p in people
        )
    )
    return f"/console/events/{event.id}"


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_coordinator_splits_moves_and_prints_the_team_sheet(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    *,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    path = _room(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=path)
        section = page.locator("section.groups")
        expect(section).to_contain_text("No groups yet.")
        section.locator("input[name=by][value=count]").check()
        section.locator("#split-number").fill("2")
        section.locator("button:has-text('Split into groups')").click()
        expect(page.locator(".alert.ok")).to_contain_text("split into groups")
        cards = page.locator("article.group-card")
        expect(cards).to_have_count(2)
        expect(page.locator("article.group-card .badge.ok")).to_have_count(2)
        if viewport is LAPTOP and javascript:
            screenshot(page, "event-groups")

        # Move the first person of group 1 to group 2, by hand.
        first = cards.nth(0).locator("li").first
        moved_name = first.locator("a").inner_text()
        first.locator("select").select_option("2")
        first.locator("button:has-text('Move')").click()
        expect(page.locator(".alert.ok")).to_contain_text("moved to another group")
        expect(page.locator("article.group-card").nth(1)).to_contain_text(moved_name)

        page.locator("a:has-text('Print the team sheet')").click()
        expect(page.locator("table.team caption")).to_have_count(2)
        for names in NAMES.values():
            for name in names:
                expect(page.locator("main")).to_contain_text(name)
        if viewport is LAPTOP and javascript:
            screenshot(page, "team-sheet")
    finally:
        context.close()


def test_the_groups_section_and_team_sheet_pass_axe(
    browser: Browser, live_server: str, console_users: ConsoleUsers, committed: CommittedRows
) -> None:
    path = _room(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, for_axe=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=path)
        page.locator("input[name=by][value=size]").check()
        page.locator("#split-number").fill("4")
        page.locator("button:has-text('Split into groups')").click()
        expect(page.locator("article.group-card")).to_have_count(2)
        assert_accessible(page)
        page.goto(f"{live_server}{path}/team-sheet")
        assert_accessible(page)
    finally:
        context.close()
