"""The door on a phone (360 px) and the inbox, in Chromium: with and without JavaScript, axe
in ky, ru and en, and the screenshots README.md shows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.free_text import COORDINATOR_REPLY
from birge_shared.models import (
    Community,
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageDirection,
    Participant,
    Role,
    utcnow,
)
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
from tests.factories import (
    make_event,
    make_inbound,
    make_invitation,
    make_participant,
    unique_phone,
)

PEOPLE = [
    ("Нурлан Абдыкеримов", Community.HOST, InvitationStatus.ACCEPTED),
    ("Aibek Toktogulov", Community.MIGRANT, InvitationStatus.ACCEPTED),
    ("Айгуль Нурова", Community.MIGRANT, InvitationStatus.ATTENDED),
    ("Nurbek Osmonov", Community.HOST, InvitationStatus.DECLINED),
    ("Гүлнара Сыдыкова", Community.HOST, InvitationStatus.ACCEPTED),
]


def _door_event(rows: CommittedRows) -> Event:
    """An Osh event starting in 10 minutes (its door is open), with five people on its list."""
    with Session(rows.engine, expire_on_commit=False) as session:
        event = make_event(
            session,
            city="osh",
            starts_in=timedelta(minutes=10),
            title={"ru": "Футбол вместе", "en": "Football together", "ky": "Бирге футбол"},
        )
        rows.event_ids.append(event.id)
        for name, community, status in PEOPLE:
            person = make_participant(session, city="osh", name=name, community=community)
            rows.participant_ids.append(person.id)
            make_invitation(session, event=event, participant=person, status=status)
        session.commit()
        return event


def _status(rows: CommittedRows, event: Event, participant_name: str) -> InvitationStatus:
    cipher = get_cipher()
    with Session(rows.engine) as session:
        for invitation, person in session.execute(
            select(Invitation, Participant)
            .join(Participant, Invitation.participant_id == Participant.id)
            .where(Invitation.event_id == event.id)
        ):
            if person.name_encrypted and cipher.decrypt(person.name_encrypted) == participant_name:
                return invitation.status
    raise AssertionError(f"{participant_name} is not on the list")


def _row(page: Page, name: str) -> Locator:
    return page.locator("#door-results li", has_text=name)


def _walk_in(page: Page, name: str, phone: str) -> None:
    page.locator("summary", has_text="New person").click()
    page.fill("#walk-name", name)
    page.fill("#walk-phone", phone)
    page.select_option("#walk-language", "ky")
    page.select_option("#walk-community", "host")
    page.select_option("#walk-consent", "verbal")
    page.fill("#walk-version", "2026-01")
    page.click("form:has(#walk-name) button[type=submit]")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_door_at_360px_search_check_in_undo_and_a_walk_in(
    browser: Browser,
    live_server: str,
    committed: CommittedRows,
    console_users: ConsoleUsers,
    javascript: bool,
) -> None:
    event = _door_event(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=PHONE, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path="/console/check-in")
        page.click(f"a[href='/console/events/{event.id}/door']")
        expect(page.locator("#door-counts h2")).to_contain_text("1")

        page.fill("#door-q", "aib")
        if not javascript:
            page.click(".door-search button[type=submit]")
        expect(page.locator("#door-results li")).to_have_count(1)
        expect(_row(page, "Aibek Toktogulov")).to_be_visible()
        # The typed name is never in the address bar.
        assert "aib" not in page.url

        _row(page, "Aibek Toktogulov").get_by_role("button", name="Check in").click()
        expect(page.locator("#door-counts h2")).to_contain_text("2")
        if javascript:
            # One fragment swapped in: the search stays as typed, the row now says inside.
            expect(_row(page, "Aibek Toktogulov")).to_contain_text("Inside")
            assert page.input_value("#door-q") == "aib"
        assert _status(committed, event, "Aibek Toktogulov") is InvitationStatus.ATTENDED

        _row(page, "Aibek Toktogulov").get_by_role("button", name="Undo").click()
        expect(page.locator("#door-counts h2")).to_contain_text("1")
        expect(
            _row(page, "Aibek Toktogulov").get_by_role("button", name="Check in")
        ).to_be_visible()
        assert _status(committed, event, "Aibek Toktogulov") is InvitationStatus.ACCEPTED

        page.fill("#door-q", "нур")
        if not javascript:
            page.click(".door-search button[type=submit]")
        expect(page.locator("#door-results li")).to_have_count(2)
        _row(page, "Нурлан Абдыкеримов").get_by_role("button", name="Check in").click()
        expect(page.locator("#door-counts h2")).to_contain_text("2")

        # Someone who declined is let in, and the tap taken back: declined again.
        page.fill("#door-q", "nurb")
        if not javascript:
            page.click(".door-search button[type=submit]")
        _row(page, "Nurbek Osmonov").get_by_role("button", name="Let in as walk-in").click()
        expect(page.locator("#door-counts h2")).to_contain_text("3")
        if not javascript:
            page.fill("#door-q", "nurb")
            page.click(".door-search button[type=submit]")
        _row(page, "Nurbek Osmonov").get_by_role("button", name="Undo").click()
        expect(page.locator("#door-counts h2")).to_contain_text("2")
        assert _status(committed, event, "Nurbek Osmonov") is InvitationStatus.DECLINED

        _walk_in(page, "Жаңы Келген", unique_phone())
        expect(page.locator(".alert.ok")).to_contain_text("walk-in")
        expect(page.locator("#door-counts h2")).to_contain_text("3")
        expect(_row(page, "Жаңы Келген")).to_contain_text("Walk-in, inside")
        # Nothing spills past a phone's width.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        if javascript:
            page.evaluate("window.scrollTo(0, 0)")
            screenshot(page, "door-phone")
    finally:
        context.close()


def test_the_door_and_the_check_in_list_pass_axe_in_each_language(
    browser: Browser, live_server: str, committed: CommittedRows, console_users: ConsoleUsers
) -> None:
    event = _door_event(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    for language in ("ky", "ru", "en"):
        for viewport in (PHONE, LAPTOP):
            context = new_context(browser, viewport=viewport, language=language, for_axe=True)
            page = context.new_page()
            try:
                sign_in(page, live_server, user, next_path="/console/check-in")
                assert_accessible(page)
                page.goto(f"{live_server}/console/events/{event.id}/door")
                page.locator("details.door-walk-in").nth(1).locator("summary").click()
                assert_accessible(page)
                if language == "en" and viewport == LAPTOP:
                    # From the top, where the sticky counts belong in a full-page picture.
                    page.evaluate("window.scrollTo(0, 0)")
                    screenshot(page, "door")
            finally:
                context.close()


def _inbox_rows(rows: CommittedRows) -> uuid.UUID:
    with Session(rows.engine, expire_on_commit=False) as session:
        asking = make_participant(session, city="osh", name="Inbox Person")
        stopped = make_participant(session, city="osh")
        stopped.opted_out_at = utcnow()
        rows.participant_ids += [asking.id, stopped.id]
        question = make_inbound(session, participant=asking, text="Можно прийти с сестрой?")
        make_inbound(session, participant=stopped, text="STOP", purpose="reply:stop")
        session.commit()
        return question.id


def _answers(rows: CommittedRows, participant_of: uuid.UUID) -> int:
    with Session(rows.engine) as session:
        inbound = session.get(Message, participant_of)
        assert inbound is not None
        return len(
            list(
                session.scalars(
                    select(Message.id).where(
                        Message.direction == MessageDirection.OUTBOUND,
                        Message.purpose == COORDINATOR_REPLY,
                        Message.participant_id == inbound.participant_id,
                    )
                )
            )
        )


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_inbox_answer_one_person_and_mark_handled(
    *,
    browser: Browser,
    live_server: str,
    committed: CommittedRows,
    console_users: ConsoleUsers,
    viewport: dict[str, int],
    javascript: bool,
) -> None:
    question = _inbox_rows(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path="/console/inbox")
        item = page.locator(f"#inbox-{question}")
        expect(item).to_contain_text("Можно прийти с сестрой?")
        item.get_by_role("link", name="Answer").click()
        page.fill("#reply-text", "Да, конечно! Ждём вас.")
        if javascript:
            expect(page.locator("#reply-count")).to_contain_text("1 SMS of 2")
            page.fill("#reply-text", "Ж" * 140)
            expect(page.locator("#reply-count")).to_contain_text("Too long")
            page.fill("#reply-text", "Да, конечно! Ждём вас.")
        double_click_lands(
            page, "role=button[name='Send the answer']", f"{live_server}/console/inbox?answered=1"
        )
        expect(page.locator(".alert.ok")).to_be_visible()
        assert _answers(committed, question) == 1

        page.select_option("#inbox-show", "all")
        if not javascript:
            page.click(".filters button[type=submit]")
        handled = page.locator(f"#inbox-{question}")
        expect(handled).to_contain_text("Handled")
        if javascript:
            page.wait_for_url("**show=all**")
        stop = page.locator(".inbox-item", has_text="STOP")
        stop.get_by_role("button", name="Mark handled").click()
        expect(page.locator(".inbox-item", has_text="STOP")).to_contain_text("Handled")
        if javascript and viewport == LAPTOP:
            screenshot(page, "inbox")
    finally:
        context.close()


def test_the_inbox_pages_pass_axe_in_each_language(
    browser: Browser, live_server: str, committed: CommittedRows, console_users: ConsoleUsers
) -> None:
    question = _inbox_rows(committed)
    user = console_users.add(Role.COORDINATOR, ("osh",))
    for language in ("ky", "ru", "en"):
        context = new_context(browser, language=language, for_axe=True)
        page = context.new_page()
        try:
            sign_in(page, live_server, user, next_path="/console/inbox")
            assert_accessible(page)
            page.goto(f"{live_server}/console/inbox/{question}/reply")
            page.fill("#reply-text", "Hello")
            assert_accessible(page)
        finally:
            context.close()
