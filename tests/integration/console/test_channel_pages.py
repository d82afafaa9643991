"""The console's channels: a batch's channels chosen in the invite wizard, each invitation's
delivery per channel on the event page, and a person's messages per channel."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import (
    InvitationBatch,
    MessageChannel,
    MessageStatus,
    Role,
)
from tests.factories import channel_message, make_event, make_invitation, make_participant
from tests.integration.console.test_eventpage_pages import SignedIn, english

__all__ = ["english"]

_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def test_the_wizard_sends_on_the_channels_ticked(english: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    people = [str(make_participant(db, email=f"p{i}@example.org").id) for i in range(2)]
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    pool = client.get(f"/console/events/{event.id}/invite")
    assert pool.status_code == 200
    for name in ("whatsapp", "telegram", "sms", "email"):
        assert f'name="channel" value="{name}" checked' in pool.text
    chosen = {"mode": "people", "participant": people, "channels_chosen": "1"}
    page = client.get(
        f"/console/events/{event.id}/invite/proposal", params={**chosen, "channel": ["sms"]}
    )
    assert page.status_code == 200, page.text
    assert "Channels: SMS." in page.text
    assert '<input type="hidden" name="channel" value="sms">' in page.text
    key = _KEY.search(page.text)
    assert key

    sent = client.post(
        f"/console/events/{event.id}/invite/send",
        data={
            "csrf": client.csrf,
            "idempotency_key": key.group(1),
            "participant": people,
            "channel": ["sms"],
            "channels_chosen": "1",
        },
    )

    assert sent.status_code == 303, sent.text
    batch = db.scalar(select(InvitationBatch).where(InvitationBatch.event_id == event.id))
    assert batch is not None
    assert batch.channels == ["sms"]


def test_every_channel_ticked_is_every_channel_and_e_mail_alone_is_refused(
    english: SignedIn, db: Session
) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    people = [str(make_participant(db).id)]
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))
    url = f"/console/events/{event.id}/invite/proposal"
    base = {"mode": "people", "participant": people, "channels_chosen": "1"}

    everything = client.get(
        url, params={**base, "channel": ["whatsapp", "telegram", "sms", "email"]}
    )
    email = client.get(url, params={**base, "channel": ["email"]})
    unknown = client.get(url, params={**base, "channel": ["sms", "fax"]})

    assert everything.status_code == 200
    assert "Channels: every channel" in everything.text
    assert 'name="channels_chosen"' not in everything.text.split("<form", 1)[1]
    assert email.status_code == 422
    assert "Choose at least one of WhatsApp, Telegram or SMS." in email.text
    # The pool comes back with what was ticked.
    assert 'name="channel" value="email" checked' in email.text
    assert 'name="channel" value="sms" checked' not in email.text
    assert unknown.status_code == 422
    assert "Unknown channel." in unknown.text


def test_the_event_page_shows_each_channels_delivery(english: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    invitation = make_invitation(db, event=event, participant=make_participant(db, name="Aida"))
    refused = channel_message(
        invitation, MessageChannel.WHATSAPP, MessageStatus.FAILED, reason="not on WhatsApp"
    )
    db.add(refused)
    db.flush()
    db.add(
        channel_message(
            invitation, MessageChannel.SMS, MessageStatus.DELIVERED, fallback_of=refused
        )
    )
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    page = client.get(f"/console/events/{event.id}")

    assert page.status_code == 200, page.text
    roster = page.text.split('id="roster-heading"', 1)[1].split("</section>", 1)[0]
    assert '<li data-channel="whatsapp"><span class="channel">WhatsApp</span>' in roster
    assert "(instead of WhatsApp)" in roster
    summary = page.text.split('id="delivery-heading"', 1)[1].split("</section>", 1)[0]
    whatsapp = summary.split('<tr data-channel="whatsapp">', 1)[1].split("</tr>", 1)[0]
    sms = summary.split('<tr data-channel="sms">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-status="failed">1</td>' in whatsapp
    assert '<td class="num" data-status="delivered">1</td>' in sms
    assert '<td class="num" data-status="failed">0</td>' in sms


def test_a_persons_page_shows_their_messages_per_channel(english: SignedIn, db: Session) -> None:
    event = make_event(db, city="osh", capacity=5, min_share=0)
    person = make_participant(db)
    invitation = make_invitation(db, event=event, participant=person)
    refused = channel_message(invitation, MessageChannel.WHATSAPP, MessageStatus.FAILED)
    db.add(refused)
    db.flush()
    db.add(channel_message(invitation, MessageChannel.SMS, MessageStatus.READ, fallback_of=refused))
    db.commit()
    client = english(Role.COORDINATOR, ("osh",))

    page = client.get(f"/console/participants/{person.id}")

    assert page.status_code == 200, page.text
    assert '<li data-channel="whatsapp"><b>1</b> WhatsApp</li>' in page.text
    assert '<li data-channel="sms"><b>1</b> SMS</li>' in page.text
    row = page.text.split('<tr data-message-channel="sms">', 1)[1].split("</tr>", 1)[0]
    assert "(instead of WhatsApp)" in row
    assert "Read" in row
