"""The participants' pages in Chromium: search by name and phone, a person's page with a
message shown on request, and the import wizard, at 360 px and 1280 px, with JavaScript and
without, and axe-core in each language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.participants import import_template
from birge_shared.crypto import get_cipher
from birge_shared.models import (
    Message,
    MessageChannel,
    MessageDirection,
    MessageStatus,
    Participant,
    Role,
)
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
from tests.factories import inbound_sms

LIST = "/console/participants"
MODES = [(PHONE, True), (PHONE, False), (LAPTOP, True), (LAPTOP, False)]
MODE_IDS = ["360px-js", "360px-no-js", "1280px-js", "1280px-no-js"]


def _search(page: Page, name: str) -> None:
    page.fill("#f-name", name)
    page.click("#search button[type=submit]")


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_a_coordinator_finds_a_person_and_reads_a_message(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    mode: tuple[dict[str, int], bool],
) -> None:
    viewport, javascript = mode
    user = console_users.add(Role.COORDINATOR, ("bishkek",))
    person = committed.participant(city="bishkek", name="Айзада Тентимишова")
    committed.participant(city="bishkek", name="Someone Different")
    committed.add(inbound_sms(person.id, text="Келем, рахмат!", purpose="reply"))
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=LIST)
        _search(page, "Aizada tent")
        row = page.locator("table.people tbody tr")
        expect(row).to_have_count(1)
        expect(row.first).to_contain_text("Айзада Тентимишова")
        if javascript:
            # htmx swapped the results in; the URL never carried the name.
            assert "Aizada" not in page.url
        page.click("text=Айзада Тентимишова")
        page.wait_for_url(f"{live_server}{LIST}/{person.id}")
        expect(page.locator("h1")).to_have_text("Айзада Тентимишова")
        expect(page.get_by_text("Келем, рахмат!")).to_have_count(0)
        page.click("text=Show text")
        expect(page.get_by_text("Келем, рахмат!")).to_be_visible()
        if viewport is LAPTOP and javascript:
            screenshot(page, "participant")
    finally:
        context.close()


def test_the_list_screenshot_and_bulk_erase_confirmation(
    browser: Browser, live_server: str, console_users: ConsoleUsers, committed: CommittedRows
) -> None:
    user = console_users.add(Role.COORDINATOR, ("bishkek",))
    names = ["Азамат Бекташев", "Gulnara Asanova", "Нурбек Жумабаев", "Aisha Karimova"]
    people = [committed.participant(city="bishkek", name=name) for name in names]
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=LIST)
        expect(page.locator("h1")).to_have_text("Participants")
        screenshot(page, "participants")
        page.check(f"#p-{people[0].id}")
        page.click("button[value=erase]")
        expect(page.locator("h1")).to_have_text("Erase participants")
        expect(page.locator("main")).to_contain_text("Азамат Бекташев")
        page.check("#f-confirm")
        page.click("button.danger")
        expect(page.get_by_role("status").first).to_contain_text("1 person erased")
    finally:
        context.close()


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_the_import_wizard_in_the_browser(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    mode: tuple[dict[str, int], bool],
) -> None:
    viewport, javascript = mode
    user = console_users.add(Role.COORDINATOR, ("osh",))
    # The template's own rows are Osh people: import them, as a coordinator would try first.
    if javascript:
        # A CSV with one broken row, so the check lists it by the spreadsheet's number.
        broken = "Бузулган Сап;12345;;ky;osh;host;paper_form;2026-01;20.11.2026\r\n"
        sheet = {
            "name": "participants.csv",
            "mimeType": "text/csv",
            "buffer": import_template.template_csv() + broken.encode(),
        }
    else:
        sheet = {
            "name": "participants.xlsx",
            "mimeType": import_template.XLSX_MEDIA_TYPE,
            "buffer": import_template.template_xlsx(),
        }
    context = new_context(browser, viewport=viewport, javascript=javascript)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=f"{LIST}/import")
        page.set_input_files("#f-file", sheet)  # type: ignore[arg-type]
        page.click("form[enctype] button[type=submit]")
        expect(page.locator("h1")).to_have_text("Map columns")
        expect(page.locator("#c-1")).to_have_value("name")
        page.check("#f-update")
        page.click("text=Check the file")
        expect(page.locator("h1")).to_have_text("Check")
        if javascript:
            expect(page.locator("main table tbody tr")).to_have_count(1)
            expect(page.locator("main table tbody tr td").first).to_have_text("4")
        if viewport is LAPTOP and javascript:
            screenshot(page, "import")
        page.click("form[action$='/run'] button[type=submit]")
        expect(page.get_by_role("status").first).to_contain_text("Imported")
    finally:
        context.close()
        _forget_imported(committed)


def _forget_imported(committed: CommittedRows) -> None:
    cipher = get_cipher()
    hashes = [cipher.lookup_hash("phone", phone) for phone in ("+996555000001", "+996700000002")]
    with Session(committed.engine) as session:
        committed.participant_ids.extend(
            session.scalars(
                select(Participant.id).where(
                    Participant.phone_hash.in_(hashes), Participant.city_code == "osh"
                )
            )
        )


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_participant_pages_pass_axe(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    language: str,
) -> None:
    user = console_users.add(Role.COORDINATOR, ("bishkek",))
    person = committed.participant(city="bishkek", name="Axe Person")
    committed.add(
        Message(
            direction=MessageDirection.OUTBOUND,
            channel=MessageChannel.SMS,
            purpose="invite",
            status=MessageStatus.DELIVERED,
            participant_id=person.id,
            body_encrypted=get_cipher().encrypt("Salam"),
        )
    )
    for viewport in (PHONE, LAPTOP):
        context = new_context(browser, language=language, viewport=viewport, for_axe=True)
        page = context.new_page()
        try:
            sign_in(page, live_server, user, next_path=LIST)
            assert_accessible(page)
            page.goto(f"{live_server}{LIST}/{person.id}")
            assert_accessible(page)
            page.goto(f"{live_server}{LIST}/import")
            assert_accessible(page)
        finally:
            context.close()
