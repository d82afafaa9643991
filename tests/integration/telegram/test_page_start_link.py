"""The participant page's Telegram offer: a fresh one-time start link that links the chat."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from birge_shared import channels
from birge_shared.models import Channel
from birge_shared.settings import Settings
from tests.factories import make_event, make_invitation, make_participant
from tests.fakes.fake_bot_api import BOT_USERNAME
from tests.integration.telegram.conftest import Post, new_chat_id, text_update

OFFER = "Get my invitations on Telegram"


def test_the_page_offers_a_start_link_that_links_the_chat_once(
    client: TestClient, db: Session, post_update: Post, telegram_settings: Settings
) -> None:
    participant = make_participant(db)
    invitation = make_invitation(db, event=make_event(db), participant=participant)
    db.commit()
    page = client.get(f"/p/{invitation.token}?lang=en")
    assert OFFER in page.text

    first = client.get(f"/p/{invitation.token}/telegram", follow_redirects=False)
    second = client.get(f"/p/{invitation.token}/telegram", follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["cache-control"] == "no-store"
    link = urlsplit(first.headers["location"])
    assert (link.scheme, link.netloc, link.path) == ("https", "t.me", f"/{BOT_USERNAME}")
    code = parse_qs(link.query)["start"][0]
    assert code != parse_qs(urlsplit(second.headers["location"]).query)["start"][0]
    assert len(code) <= 64
    assert code.replace("-", "").replace("_", "").isalnum()

    chat_id = new_chat_id()
    assert post_update(text_update(chat_id, f"/start {code}")).json()["chat_id"] == chat_id
    db.expire_all()
    assert channels.channels_of(db, participant)[0].channel is Channel.TELEGRAM
    assert OFFER not in client.get(f"/p/{invitation.token}?lang=en").text


def test_no_offer_and_no_link_without_the_bot(client: TestClient, db: Session) -> None:
    invitation = make_invitation(db, event=make_event(db), participant=make_participant(db))
    db.commit()
    assert OFFER not in client.get(f"/p/{invitation.token}?lang=en").text
    assert client.get(f"/p/{invitation.token}/telegram", follow_redirects=False).status_code == 404


def test_an_unknown_page_makes_no_link(client: TestClient, telegram_settings: Settings) -> None:
    assert client.get("/p/not-a-token/telegram", follow_redirects=False).status_code == 404
