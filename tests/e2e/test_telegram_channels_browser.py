"""In Chromium: the participant page's Telegram link, and the console's channels section."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Route, expect
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.models import Channel, ChannelOptOutMethod, Language, Participant, Role
from birge_shared.settings import get_settings
from birge_shared.telegram_links import redeem_link_code
from tests.e2e.conftest import CommittedRows
from tests.e2e.console_helpers import (
    LAPTOP,
    PHONE,
    ConsoleUsers,
    assert_accessible,
    new_context,
    sign_in,
)

BOT = "BirgeTestBot"
#: A step may wait this long: the page answers in well under a second, but the suite runs in
#: two processes beside Chromium on two cores, and a stalled machine is not a broken page.
ACTION_MS = 30_000

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def bot_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The live server in this process reads these through `get_settings()` per request."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "7000000001:AAbrowser-test-token")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "browser-test-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_participant_page_sends_the_person_to_the_bot_with_a_one_time_code(
    browser: Browser,
    live_server: str,
    committed: CommittedRows,
    bot_on: None,
    javascript: bool,
) -> None:
    invitation = committed.invitation(language=Language.EN)
    context = new_context(browser, viewport=PHONE, javascript=javascript)
    opened: list[str] = []

    def telegram(route: Route) -> None:
        # t.me is out of reach here: the request the browser makes is what counts.
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Telegram</title>")

    context.route(re.compile(r"^https://t\.me/"), telegram)
    page = context.new_page()
    page.set_default_timeout(ACTION_MS)
    try:
        page.goto(f"{live_server}/p/{invitation.token}?lang=en")
        link = page.get_by_role("link", name="Get my invitations on Telegram")
        expect(link).to_be_visible()
        link.click()
        page.wait_for_url(re.compile(r"^https://t\.me/"))
    finally:
        context.close()
    (url,) = opened
    found = re.fullmatch(rf"https://t\.me/{BOT}\?start=([A-Za-z0-9_-]{{32}})", url)
    assert found, "the bot link is t.me/<bot>?start=<code>"
    with Session(committed.engine) as session:
        linked = redeem_link_code(session=session, code=found.group(1))
        assert linked.id == invitation.participant_id
        session.rollback()


@pytest.mark.parametrize("mode", [(PHONE, True), (LAPTOP, False)], ids=["360px-js", "1280px-no-js"])
def test_a_coordinator_sees_the_channels_and_switches_telegram_off(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    mode: tuple[dict[str, int], bool],
) -> None:
    viewport, javascript = mode
    user = console_users.add(Role.COORDINATOR, ("bishkek",))
    person = committed.participant(city="bishkek", name="Nodira Karimova", email="n@example.org")
    with Session(committed.engine) as session:
        row = session.get(Participant, person.id)
        assert row is not None
        channels.link_telegram(session=session, participant=row, chat_id="812345678")
        session.commit()
    # axe-core is injected as a script: it needs JavaScript and a context that lets it in.
    context = new_context(browser, viewport=viewport, javascript=javascript, for_axe=javascript)
    page = context.new_page()
    page.set_default_timeout(ACTION_MS)
    try:
        sign_in(page, live_server, user, next_path=f"/console/participants/{person.id}")
        section = page.locator("#channels")
        expect(section.locator("tbody tr")).to_have_count(3)
        order = section.locator("tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.channel)"
        )
        assert order == ["telegram", "sms", "email"]
        assert "812345678" not in page.content()
        if javascript:
            assert_accessible(page)

        telegram = section.locator('tr[data-channel="telegram"]')
        telegram.get_by_role("button", name="Switch off").click()
        page.wait_for_url(re.compile(r"channels=saved"))
        expect(page.locator('#channels tr[data-channel="telegram"]')).to_contain_text(
            "Switched off by a coordinator"
        )
        page.locator('#channels tr[data-channel="email"]').get_by_role(
            "button", name="Move up"
        ).click()
        page.wait_for_url(re.compile(r"channels=saved"))
        order = page.locator("#channels tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.channel)"
        )
        assert order == ["telegram", "email", "sms"]
    finally:
        context.close()
    with Session(committed.engine) as session:
        row = session.get(Participant, person.id)
        assert row is not None
        states = channels.channels_of(session, row)
        assert states[0].channel is Channel.TELEGRAM
        assert states[0].opt_out_method is ChannelOptOutMethod.COORDINATOR
