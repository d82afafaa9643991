"""The channels in Chromium: a batch sent on the channels ticked in the invite wizard, with and
without JavaScript, and the event page's delivery per channel, with a fallback."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from birge_shared.models import MessageChannel, MessageStatus, Role
from tests.e2e.conftest import CommittedRows
from tests.e2e.console_helpers import LAPTOP, PHONE, ConsoleUsers, new_context, sign_in
from tests.factories import channel_message


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_wizard_sends_a_batch_on_the_channels_ticked(
    browser: Browser,
    live_server: str,
    console_users: ConsoleUsers,
    committed: CommittedRows,
    *,
    javascript: bool,
) -> None:
    roster = committed.event_with_roster()
    mark = committed.outbox_mark()
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=PHONE, javascript=javascript)
    page = context.new_page()
    try:
        picked = "&".join(f"participant={person_id}" for person_id in roster.uninvited)
        path = f"/console/events/{roster.event.id}/invite"
        sign_in(page, live_server, user, next_path=path)
        page.goto(f"{live_server}{path}?{picked}")
        for name in ("whatsapp", "telegram", "sms", "email"):
            expect(page.locator(f"#channel-{name}")).to_be_checked()

        # E-mail alone reaches nobody who can answer: refused, with the ticks kept.
        for name in ("whatsapp", "telegram", "sms"):
            page.uncheck(f"#channel-{name}")
        page.click("button:has-text('See the proposal')")
        expect(page.locator("main")).to_contain_text(
            "Choose at least one of WhatsApp, Telegram or SMS."
        )
        expect(page.locator("#channel-email")).to_be_checked()
        expect(page.locator("#channel-sms")).not_to_be_checked()

        page.check("#channel-sms")
        page.uncheck("#channel-email")
        page.click("button:has-text('See the proposal')")
        expect(page.locator("h1")).to_have_text("Check the proposal")
        expect(page.locator(".chosen-channels")).to_contain_text("Channels: SMS.")
        page.click("button.send")
        page.wait_for_url(re.compile(r".*/console/events/[^/]+\?batch=.*"))
        expect(page.locator(".alert.ok")).to_contain_text("2 invited")
        assert committed.batch_channels(roster.event) == [["sms"]]
    finally:
        context.close()
        committed.remove_outbox_since(mark)


def test_the_event_page_shows_delivery_per_channel(
    browser: Browser, live_server: str, console_users: ConsoleUsers, committed: CommittedRows
) -> None:
    roster = committed.event_with_roster()
    refused = channel_message(
        roster.awaiting,
        MessageChannel.WHATSAPP,
        MessageStatus.FAILED,
        reason="the number is not on WhatsApp",
    )
    committed.add(refused)
    committed.add(
        channel_message(
            roster.awaiting, MessageChannel.SMS, MessageStatus.DELIVERED, fallback_of=refused
        ),
        channel_message(roster.awaiting, MessageChannel.EMAIL, MessageStatus.SENT),
    )
    user = console_users.add(Role.COORDINATOR, ("osh",))
    context = new_context(browser, viewport=LAPTOP)
    page = context.new_page()
    try:
        sign_in(page, live_server, user, next_path=f"/console/events/{roster.event.id}")
        row = page.locator("table.roster tr", has_text="Бакыт Осмонов")
        expect(row.locator("li[data-channel=whatsapp]")).to_contain_text("WhatsApp: Failed")
        expect(row.locator("li[data-channel=sms]")).to_contain_text("(instead of WhatsApp)")
        expect(row.locator("li[data-channel=sms]")).to_contain_text("Delivered")
        expect(row.locator("li[data-channel=email]")).to_contain_text("E-mail: Sent")

        summary = page.locator("table.delivery-summary")
        expect(summary.locator("tr[data-channel=whatsapp] td[data-status=failed]")).to_have_text(
            "1"
        )
        # The roster's failed SMS and the fallback that arrived.
        sms = summary.locator("tr[data-channel=sms]")
        expect(sms.locator("td[data-status=delivered]")).to_have_text("1")
        expect(sms.locator("td[data-status=failed]")).to_have_text("1")
        expect(summary.locator("tr[data-channel=email] td[data-status=sent]")).to_have_text("1")
        expect(summary.locator("tbody tr")).to_have_count(3)
    finally:
        context.close()
