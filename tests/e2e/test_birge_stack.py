"""The running Birge the journey relies on: an invitation sent through the API reaches the
simulator, `birge sms reply` answers it, and a personal link answers on the participant page."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_api.auth import tokens
from birge_shared.models import Community, Invitation, InvitationStatus, Language, Role
from birge_shared.settings import get_settings
from tests.e2e.birge_stack import BirgeStack
from tests.e2e.console_helpers import PHONE, new_context
from tests.factories import make_event, make_participant, unique_phone
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(300)


def _status(stack: BirgeStack, invitation_id: uuid.UUID) -> InvitationStatus | None:
    with Session(stack.engine) as session:
        return session.scalar(select(Invitation.status).where(Invitation.id == invitation_id))


def test_an_invitation_goes_out_and_both_answers_come_back(
    birge: BirgeStack, browser: Browser
) -> None:
    coordinator = birge.user(Role.COORDINATOR, ("osh",))
    phones = [unique_phone(), unique_phone()]
    with Session(birge.engine, expire_on_commit=False) as session:
        event = make_event(session, city="osh", min_share=0.0)
        people = [
            make_participant(
                session, city="osh", phone=phone, community=community, language=Language.EN
            )
            for phone, community in zip(phones, (Community.HOST, Community.MIGRANT), strict=True)
        ]
        session.commit()

    request = urllib.request.Request(  # noqa: S310 - the loopback server of this test
        f"{birge.base_url}/v1/events/{event.id}/invitations",
        data=json.dumps({"participant_ids": [str(p.id) for p in people]}).encode(),
        headers={
            "Authorization": f"Bearer {tokens.issue(settings=get_settings(), user=coordinator)}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        assert response.status == 202

    sent = birge.wait_for_sms(phones, what="both invitations in the simulator's outbox")
    with Session(birge.engine) as session:
        invitations = {
            row.participant_id: row.id
            for row in session.scalars(select(Invitation).where(Invitation.event_id == event.id))
        }
    by_sms, on_page = (invitations[person.id] for person in people)

    birge.reply(phones[0], "YES")
    wait_until(
        lambda: _status(birge, by_sms) is InvitationStatus.ACCEPTED,
        what="the SMS reply accepting the invitation",
    )

    context = new_context(browser, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(birge.personal_link(sent[phones[1]]))
        page.get_by_role("button", name="I can't come").click()
        page.wait_for_url(re.compile(r"[?&]done=declined"))
        expect(page.get_by_role("status")).to_be_visible()
    finally:
        context.close()
    assert _status(birge, on_page) is InvitationStatus.DECLINED
