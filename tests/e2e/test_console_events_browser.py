"""The dashboard and the events pages in Chromium: axe in ky, ru and en, screenshots, the event
forms at a phone's width and a laptop's with JavaScript on and off, filters without reloads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from birge_shared.models import Event, EventStatus, Invitation, Message, Participant, Role, utcnow
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    new_context,
    screenshot,
    sign_in,
)
from tests.integration.dashboard_scenario import Scenario, build

ZONE = ZoneInfo("Asia/Bishkek")


class EventRows:
    """The dashboard's scenario committed for the live server, and every event made in a test."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.scenario: Scenario | None = None
        self.event_ids: list[uuid.UUID] = []

    def commit_scenario(self) -> Scenario:
        with Session(self.engine, expire_on_commit=False) as session:
            scenario = build(session)
            session.commit()
            for event in (scenario.near, scenario.later, scenario.tonight, scenario.bishkek):
                self.event_ids.append(event.id)
                # Loaded before the session closes: the tests read titles and zones.
                assert event.city.timezone
        self.scenario = scenario
        return scenario

    def made_by(self, user_ids: list[uuid.UUID]) -> list[Event]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(Event).where(Event.created_by_id.in_(user_ids))))

    def remove(self, user_ids: list[uuid.UUID]) -> None:
        with Session(self.engine) as session:
            ids = [*self.event_ids, *(event.id for event in self.made_by(user_ids))]
            people = list(
                session.scalars(
                    select(Invitation.participant_id).where(Invitation.event_id.in_(ids))
                )
            )
            session.execute(delete(Message).where(Message.participant_id.in_(people)))
            session.execute(delete(Event).where(Event.id.in_(ids)))
            session.execute(delete(Participant).where(Participant.id.in_(people)))
            session.commit()


@pytest.fixture
def event_rows(raw_engine: object, console_users: ConsoleUsers) -> Iterator[EventRows]:
    assert isinstance(raw_engine, Engine)
    rows = EventRows(raw_engine)
    try:
        yield rows
    finally:
        rows.remove(console_users.ids)


def _month(scenario: Scenario) -> str:
    return scenario.near.starts_at.astimezone(ZONE).strftime("%Y-%m")


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_the_dashboard_and_events_pages_pass_axe(
    browser: Browser,
    live_server: str,
    *,
    console_users: ConsoleUsers,
    event_rows: EventRows,
    language: str,
) -> None:
    scenario = event_rows.commit_scenario()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, language=language, for_axe=True)
    page = context.new_page()
    pages = {
        "dashboard": "/console",
        "events": "/console/events",
        "events-calendar": f"/console/events/calendar?month={_month(scenario)}",
        "event-form": f"/console/events/{scenario.near.id}/edit",
    }
    try:
        sign_in(page, live_server, user)
        for name, path in pages.items():
            page.goto(f"{live_server}{path}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_accessible(page)
            if language == "en":
                screenshot(page, name)
        page.goto(f"{live_server}/console/events/{scenario.near.id}/cancel")
        assert_accessible(page)
        # A form sent back with errors is checked too: the messages sit next to their fields.
        page.goto(f"{live_server}/console/events/new")
        page.click("form.event-form button[type=submit]")
        expect(page.locator(".alert.error")).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()


def test_the_dashboard_shows_counts_and_the_to_do_list(
    browser: Browser, live_server: str, console_users: ConsoleUsers, event_rows: EventRows
) -> None:
    scenario = event_rows.commit_scenario()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    for viewport in (PHONE, LAPTOP):
        context = new_context(browser, viewport=viewport)
        page = context.new_page()
        try:
            sign_in(page, live_server, user)
            todo = page.locator(".todo-list")
            expect(todo).to_contain_text("1 message was not delivered")
            expect(todo).to_contain_text("Few confirmations: 2 of 10 seats")
            expect(page.locator("svg.mix").first).to_be_visible()
            page.click("text=1 message was not delivered")
            page.wait_for_url(f"{live_server}/console/events/{scenario.near.id}")
        finally:
            context.close()


def _fill_event(page: Page, *, title: str, day: str) -> None:
    page.select_option("#f-city", "osh")
    page.fill("#f-title_ru", title)
    page.fill("#f-title_ky", title)
    page.select_option("#f-activity_type", "games")
    page.fill("#f-venue_name", "Youth centre")
    page.fill("#f-venue_address", "Lenin st. 200")
    page.fill("#f-starts_at", f"{day}T18:00")
    page.fill("#f-ends_at", f"{day}T20:00")
    page.fill("#f-capacity", "12")


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_coordinator_creates_edits_and_cancels_an_event(
    browser: Browser,
    live_server: str,
    *,
    console_users: ConsoleUsers,
    event_rows: EventRows,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    day = (utcnow() + timedelta(days=9)).astimezone(ZONE).date().isoformat()
    try:
        sign_in(page, live_server, user, next_path="/console/events/new")
        _fill_event(page, title="Game night", day=day)
        page.fill("#f-ends_at", f"{day}T17:00")  # before the start: refused, nothing saved
        page.click("form.event-form button[type=submit]")
        expect(page.locator("#f-ends_at-note")).to_have_text("The end must be after the start.")
        assert event_rows.made_by([user.id]) == []
        expect(page.locator("#f-title_ru")).to_have_value("Game night")
        page.fill("#f-ends_at", f"{day}T20:00")
        page.click("form.event-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/events/[0-9a-f-]{36}$"))
        [event] = event_rows.made_by([user.id])
        assert page.url.endswith(f"/console/events/{event.id}")
        assert event.starts_at.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M") == f"{day}T18:00"

        page.goto(f"{live_server}/console/events/{event.id}/edit")
        expect(page.locator("#f-starts_at")).to_have_value(f"{day}T18:00")
        page.fill("#f-title_en", "Board game night")
        page.fill("#f-capacity", "14")
        page.click("form.event-form button[type=submit]")
        page.wait_for_url(re.compile(re.escape(f"{live_server}/console/events/{event.id}?done=")))
        expect(page.locator(".alert.ok")).to_contain_text("The event is saved.")
        [edited] = event_rows.made_by([user.id])
        assert edited.title["en"] == "Board game night"
        assert edited.capacity == 14

        page.goto(f"{live_server}/console/events/{event.id}/duplicate")
        expect(page.locator("#f-title_en")).to_have_value("Board game night")

        page.goto(f"{live_server}/console/events/{event.id}/cancel")
        page.fill("#f-reason", "The centre is closed")
        page.click("button.danger")
        page.wait_for_url(f"{live_server}/console/events/{event.id}")
        [cancelled] = event_rows.made_by([user.id])
        assert cancelled.status is EventStatus.CANCELLED
        assert cancelled.cancel_reason == "The centre is closed"
    finally:
        context.close()


def test_filters_swap_the_results_without_a_reload_and_work_without_javascript(
    browser: Browser, live_server: str, console_users: ConsoleUsers, event_rows: EventRows
) -> None:
    event_rows.commit_scenario()
    user = console_users.add(Role.ADMIN, ())
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path="/console/events")
        expect(page.locator("#event-results")).to_contain_text("Bishkek walk")
        page.evaluate("document.body.dataset.loaded = 'once'")
        page.select_option("#filter-city", "osh")
        expect(page.locator("#event-results")).not_to_contain_text("Bishkek walk")
        expect(page.locator("#event-results")).to_contain_text("Cooking plov")
        expect(page).to_have_url(re.compile(r"city=osh"))
        # The same document: htmx swapped the results in place.
        assert page.evaluate("document.body.dataset.loaded") == "once"
    finally:
        context.close()

    context = new_context(browser, javascript=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path="/console/events")
        page.select_option("#filter-city", "bishkek")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"city=bishkek"))
        expect(page.locator("#event-results")).to_contain_text("Bishkek walk")
        expect(page.locator("#event-results")).not_to_contain_text("Cooking plov")
    finally:
        context.close()


def test_the_calendar_lists_the_days_with_events_on_a_phone(
    browser: Browser, live_server: str, console_users: ConsoleUsers, event_rows: EventRows
) -> None:
    scenario = event_rows.commit_scenario()
    user = console_users.add(Role.VIEWER, ("osh",))
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server, user)
        page.goto(f"{live_server}/console/events/calendar?month={_month(scenario)}")
        link = page.locator(f"table.calendar a[href='/console/events/{scenario.near.id}']")
        expect(link).to_be_visible()
        expect(page.locator("a[href='/console/events/new']")).to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
    finally:
        context.close()


def test_the_pages_fit_a_phone_and_pass_axe_there(
    browser: Browser, live_server: str, console_users: ConsoleUsers, event_rows: EventRows
) -> None:
    scenario = event_rows.commit_scenario()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=PHONE, for_axe=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, user)
        for path in (
            "/console",
            "/console/events",
            f"/console/events/calendar?month={_month(scenario)}",
            "/console/events/new",
            f"/console/events/{scenario.near.id}/cancel",
        ):
            page.goto(f"{live_server}{path}")
            # Only the events table may scroll sideways, inside its own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
            assert_accessible(page)
    finally:
        context.close()
