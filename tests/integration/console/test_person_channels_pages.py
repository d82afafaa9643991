"""The channels section of a person's console page: order, opt-ins, switching off."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.models import Channel, ChannelOptInMethod, ChannelOptOutMethod, Role
from tests.factories import make_participant
from tests.integration.console.conftest import SignedIn

LIST = "/console/participants"


def _order(html: str) -> list[str]:
    return re.findall(r'<tr data-channel="(\w+)">', html)


def test_the_section_shows_the_order_and_a_coordinator_reorders_and_switches_off(
    signed_in: SignedIn, db: Session
) -> None:
    person = make_participant(db, city="bishkek", email="channels@example.org")
    channels.link_telegram(session=db, participant=person, chat_id="600700800")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    url = f"{LIST}/{person.id}/channels"

    page = client.get(f"{LIST}/{person.id}")
    assert page.status_code == 200
    assert _order(page.text) == ["telegram", "sms", "email"]
    assert "600700800" not in page.text

    moved = client.post(url, data={"csrf": client.csrf, "action": "up", "channel": "email"})
    assert moved.status_code == 303
    off = client.post(url, data={"csrf": client.csrf, "action": "off", "channel": "telegram"})
    assert off.status_code == 303
    db.expire_all()
    states = channels.channels_of(db, person)
    assert [state.channel for state in states] == [Channel.TELEGRAM, Channel.EMAIL, Channel.SMS]
    assert states[0].opt_out_method is ChannelOptOutMethod.COORDINATOR
    assert _order(client.get(f"{LIST}/{person.id}").text) == ["telegram", "email", "sms"]

    on = client.post(url, data={"csrf": client.csrf, "action": "on", "channel": "telegram"})
    assert on.status_code == 303
    db.expire_all()
    assert channels.channels_of(db, person)[0].usable


def test_whatsapp_is_added_and_its_opt_in_recorded(signed_in: SignedIn, db: Session) -> None:
    person = make_participant(db, city="bishkek")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    url = f"{LIST}/{person.id}/channels"
    client.post(url, data={"csrf": client.csrf, "action": "add", "channel": "whatsapp"})
    db.expire_all()
    whatsapp = channels.channels_of(db, person)[-1]
    assert whatsapp.channel is Channel.WHATSAPP
    assert not whatsapp.usable
    recorded = client.post(
        url,
        data={"csrf": client.csrf, "action": "opt_in", "channel": "whatsapp", "method": "verbal"},
    )
    assert recorded.status_code == 303
    db.expire_all()
    whatsapp = channels.channels_of(db, person)[-1]
    assert whatsapp.usable
    assert whatsapp.opt_in_method is ChannelOptInMethod.VERBAL


def test_whatsapp_the_provider_found_no_account_on_says_so_and_is_switched_on_again(
    signed_in: SignedIn, db: Session
) -> None:
    person = make_participant(db, city="bishkek")
    db.commit()
    client = signed_in(Role.COORDINATOR, ("bishkek",))
    url = f"{LIST}/{person.id}/channels"
    client.post(url, data={"csrf": client.csrf, "action": "add", "channel": "whatsapp"})
    client.post(
        url,
        data={"csrf": client.csrf, "action": "opt_in", "channel": "whatsapp", "method": "verbal"},
    )
    channels.opt_out(
        session=db,
        participant_id=person.id,
        channel=Channel.WHATSAPP,
        method=ChannelOptOutMethod.NOT_ON_CHANNEL,
    )
    db.commit()
    page = client.get(f"{LIST}/{person.id}").text
    assert "Нет в этом мессенджере, по словам провайдера" in page  # the coordinator reads Russian
    assert 'value="on"' in page

    on = client.post(url, data={"csrf": client.csrf, "action": "on", "channel": "whatsapp"})
    assert on.status_code == 303
    db.expire_all()
    whatsapp = channels.channels_of(db, person)[-1]
    assert (whatsapp.channel, whatsapp.usable) == (Channel.WHATSAPP, True)


def test_without_the_form_token_another_city_or_as_a_viewer_nothing_changes(
    signed_in: SignedIn, db: Session
) -> None:
    person = make_participant(db, city="bishkek")
    db.commit()
    url = f"{LIST}/{person.id}/channels"
    coordinator = signed_in(Role.COORDINATOR, ("bishkek",))
    assert coordinator.post(url, data={"action": "off", "channel": "sms"}).status_code == 403
    osh = signed_in(Role.COORDINATOR, ("osh",))
    assert (
        osh.post(url, data={"csrf": osh.csrf, "action": "off", "channel": "sms"}).status_code == 404
    )
    viewer = signed_in(Role.VIEWER, ("bishkek",))
    assert (
        viewer.post(url, data={"csrf": viewer.csrf, "action": "off", "channel": "sms"}).status_code
        == 403
    )
    db.expire_all()
    assert all(state.usable for state in channels.channels_of(db, person))
