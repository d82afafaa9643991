"""The Telegram bot end to end: start links, /stop, buttons, against the fake Bot API."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from birge_api.webhooks.telegram_texts import LINK_REFUSED, LINKED
from birge_shared import channels
from birge_shared.crypto import get_cipher
from birge_shared.i18n import gettext_for
from birge_shared.invitations import Answer
from birge_shared.logs import JsonFormatter
from birge_shared.models import (
    Channel,
    ChannelOptInMethod,
    ChannelOptOutMethod,
    Invitation,
    InvitationStatus,
    Language,
    OutboxEntry,
    Participant,
    ParticipantChannel,
    TelegramUpdate,
    utcnow,
)
from birge_shared.settings import Settings
from birge_shared.tasks import TelegramAnswerSettle
from birge_shared.telegram_links import answer_buttons, new_link_code
from birge_workers.telegram.provider import (
    Button,
    TelegramBlockedError,
    TelegramProvider,
    TelegramRateLimitedError,
)
from birge_workers.telegram.settle import settle_answer
from tests.factories import make_event, make_invitation, make_participant
from tests.fakes.fake_bot_api import FakeBotApi
from tests.integration.telegram.conftest import (
    WEBHOOK,
    Post,
    callback_update,
    new_chat_id,
    text_update,
)


def _telegram_row(db: Session, participant: Participant) -> ParticipantChannel | None:
    return db.scalar(
        select(ParticipantChannel).where(
            ParticipantChannel.participant_id == participant.id,
            ParticipantChannel.channel == Channel.TELEGRAM,
        )
    )


def _link(db: Session, post_update: Post, participant: Participant) -> int:
    chat_id = new_chat_id()
    code = new_link_code(session=db, participant_id=participant.id)
    db.commit()
    assert post_update(text_update(chat_id, f"/start {code}")).status_code == 200
    return chat_id


def test_a_start_link_links_the_chat_once_and_confirms_in_the_persons_language(
    db: Session, post_update: Post
) -> None:
    participant = make_participant(db, language=Language.KY)
    code = new_link_code(session=db, participant_id=participant.id)
    db.commit()
    chat_id = new_chat_id()

    response = post_update(text_update(chat_id, f"/start {code}"))

    assert response.status_code == 200
    reply = response.json()
    assert reply["method"] == "sendMessage"
    assert reply["chat_id"] == chat_id
    assert reply["text"] == gettext_for(Language.KY, LINKED)
    assert reply["text"] != LINKED
    row = _telegram_row(db, participant)
    assert row is not None
    assert row.usable
    assert row.position == 0
    assert row.opt_in_method is ChannelOptInMethod.TELEGRAM_START
    assert row.address_encrypted is not None
    assert str(chat_id) not in row.address_encrypted
    assert get_cipher().decrypt(row.address_encrypted) == str(chat_id)
    # The person's other channels stay, after Telegram.
    assert [state.channel for state in channels.channels_of(db, participant)] == [
        Channel.TELEGRAM,
        Channel.SMS,
    ]

    # The same code again, from another chat: refused, and that chat is linked to nobody.
    other_chat = new_chat_id()
    refused = post_update(text_update(other_chat, f"/start {code}")).json()
    assert refused["chat_id"] == other_chat
    # The other chat's language is guessed from Telegram's language_code ("ru").
    assert refused["text"] == gettext_for(Language.RU, LINK_REFUSED)
    assert channels.telegram_rows(db, str(other_chat)) == []


def test_an_expired_or_unknown_code_links_nothing(db: Session, post_update: Post) -> None:
    participant = make_participant(db)
    expired = new_link_code(
        session=db, participant_id=participant.id, now=utcnow() - timedelta(hours=25)
    )
    db.commit()
    chat_id = new_chat_id()
    for text in (f"/start {expired}", "/start not-a-code", "/start"):
        assert post_update(text_update(chat_id, text)).status_code == 200
    assert _telegram_row(db, participant) is None
    assert channels.telegram_rows(db, str(chat_id)) == []


def test_stop_opts_out_of_telegram_and_is_recorded(db: Session, post_update: Post) -> None:
    participant = make_participant(db, language=Language.EN)
    chat_id = _link(db, post_update, participant)

    reply = post_update(text_update(chat_id, "/stop")).json()

    assert reply["method"] == "sendMessage"
    assert reply["text"].startswith("You will get no more messages on Telegram")
    row = _telegram_row(db, participant)
    assert row is not None
    assert not row.usable
    assert row.opt_out_method is ChannelOptOutMethod.TELEGRAM_STOP
    assert [reach.channel for reach in channels.reachable(db, participant)] == [Channel.SMS]


def test_the_webhook_refuses_a_missing_or_wrong_secret_and_stores_nothing(
    db: Session, post_update: Post
) -> None:
    update = text_update(new_chat_id(), "/stop")
    missing = post_update(update, secret=None)
    wrong = post_update(update, secret="not-the-secret")
    assert missing.status_code == 401
    assert wrong.status_code == 403
    assert wrong.headers["content-type"].startswith("application/problem+json")
    stored = db.scalar(
        select(func.count())
        .select_from(TelegramUpdate)
        .where(TelegramUpdate.update_id == update["update_id"])
    )
    assert stored == 0


def test_an_update_that_is_not_one_is_a_problem(post_update: Post) -> None:
    assert post_update({"hello": "world"}).status_code == 422


def test_accept_answers_once_even_when_the_same_callback_arrives_twice(
    db: Session,
    post_update: Post,
    fake_bot: FakeBotApi,
    provider: TelegramProvider,
    telegram_settings: Settings,
) -> None:
    participant = make_participant(db)
    event = make_event(db, min_share=0.0)
    invitation = make_invitation(db, event=event, participant=participant)
    chat_id = _link(db, post_update, participant)

    buttons = answer_buttons(session=db, invitation_id=invitation.id)
    db.commit()
    sent = provider.send(
        str(chat_id),
        "Football together, Saturday",
        [Button("Accept", buttons[0][1]), Button("Decline", buttons[1][1])],
    )
    (call,) = fake_bot.called("sendMessage")
    keyboard = call.params["reply_markup"]["inline_keyboard"][0]
    assert [button["callback_data"] for button in keyboard] == [data for _, data in buttons]
    for _, data in buttons:
        assert len(data.encode()) <= 64
        assert str(invitation.id) not in data
        assert str(participant.id) not in data
        assert str(invitation.id.hex) not in data

    accept = callback_update(chat_id, buttons[0][1], sent.message_id)
    first = post_update(accept)
    again = post_update(accept)

    assert first.json()["method"] == "answerCallbackQuery"
    assert first.json()["callback_query_id"] == accept["callback_query"]["id"]
    assert again.status_code == 200
    assert again.content == b""
    db.expire_all()
    assert db.get(Invitation, invitation.id).status is InvitationStatus.ACCEPTED  # type: ignore[union-attr]
    settles = db.scalars(
        select(OutboxEntry).where(OutboxEntry.task_name == TelegramAnswerSettle.task_name)
    ).all()
    mine = [entry for entry in settles if entry.payload["update_id"] == accept["update_id"]]
    assert len(mine) == 1
    assert str(chat_id) not in str(mine[0].payload)

    # A second press of the same button (a new update) changes nothing either.
    pressed_again = post_update(callback_update(chat_id, buttons[0][1], sent.message_id))
    assert pressed_again.json()["method"] == "answerCallbackQuery"
    db.expire_all()
    assert db.get(Invitation, invitation.id).status is InvitationStatus.ACCEPTED  # type: ignore[union-attr]

    # The worker takes the buttons off the message, once.
    def bot() -> TelegramProvider:
        return TelegramProvider.from_settings(telegram_settings)

    assert settle_answer(session=db, update_id=accept["update_id"], provider=bot) == "settled"
    assert settle_answer(session=db, update_id=accept["update_id"], provider=bot) == (
        "nothing to settle"
    )
    (edit,) = fake_bot.called("editMessageReplyMarkup")
    assert int(edit.params["chat_id"]) == chat_id
    assert int(edit.params["message_id"]) == sent.message_id
    row = db.get(TelegramUpdate, accept["update_id"])
    assert row is not None
    assert row.chat_id_encrypted is None
    assert row.settled_at is not None


def test_decline_frees_the_seat_through_the_same_path_as_the_page(
    db: Session, post_update: Post
) -> None:
    participant = make_participant(db, language=Language.EN)
    event = make_event(db, min_share=0.0)
    invitation = make_invitation(db, event=event, participant=participant)
    chat_id = _link(db, post_update, participant)
    (_, _), (answer, decline) = answer_buttons(session=db, invitation_id=invitation.id)
    db.commit()
    assert answer is Answer.DECLINE

    reply = post_update(callback_update(chat_id, decline, 55)).json()

    assert reply["text"] == "Thank you for letting us know. We've saved your answer."
    db.expire_all()
    assert db.get(Invitation, invitation.id).status is InvitationStatus.DECLINED  # type: ignore[union-attr]


def test_a_button_pressed_in_another_chat_or_forged_answers_nothing(
    db: Session, post_update: Post
) -> None:
    participant = make_participant(db)
    event = make_event(db, min_share=0.0)
    invitation = make_invitation(db, event=event, participant=participant)
    _link(db, post_update, participant)
    (_, accept), _ = answer_buttons(session=db, invitation_id=invitation.id)
    db.commit()

    stranger = post_update(callback_update(new_chat_id(), accept, 9)).json()
    forged = post_update(callback_update(new_chat_id(), "a:forged-token", 9)).json()

    assert stranger["method"] == forged["method"] == "answerCallbackQuery"
    db.expire_all()
    assert db.get(Invitation, invitation.id).status is InvitationStatus.SENT  # type: ignore[union-attr]


def test_the_provider_says_blocked_and_flood_in_its_own_words_without_the_chat(
    fake_bot: FakeBotApi, provider: TelegramProvider
) -> None:
    chat_id = str(new_chat_id())
    fake_bot.blocked_chats.add(chat_id)
    with pytest.raises(TelegramBlockedError) as blocked:
        provider.send(chat_id, "Hello")
    assert blocked.value.permanent
    assert chat_id not in str(blocked.value)
    assert "blocked" in str(blocked.value)

    fake_bot.flood_wait = 7
    with pytest.raises(TelegramRateLimitedError) as flood:
        provider.send(str(new_chat_id()), "Hello")
    assert flood.value.retry_after == 7
    assert not flood.value.permanent


def test_a_blocked_bot_switches_the_channel_off(
    db: Session, post_update: Post, fake_bot: FakeBotApi, provider: TelegramProvider
) -> None:
    participant = make_participant(db)
    chat_id = _link(db, post_update, participant)
    fake_bot.blocked_chats.add(str(chat_id))
    with pytest.raises(TelegramBlockedError):
        provider.send(str(chat_id), "Hello")
    assert channels.opt_out(
        session=db,
        participant_id=participant.id,
        channel=Channel.TELEGRAM,
        method=ChannelOptOutMethod.BLOCKED,
    )
    row = _telegram_row(db, participant)
    assert row is not None
    assert row.opt_out_method is ChannelOptOutMethod.BLOCKED


def test_no_chat_id_reaches_a_log_line(
    db: Session,
    post_update: Post,
    provider: TelegramProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    participant = make_participant(db)
    event = make_event(db, min_share=0.0)
    invitation = make_invitation(db, event=event, participant=participant)
    with caplog.at_level(logging.INFO):
        chat_id = _link(db, post_update, participant)
        (_, accept), _ = answer_buttons(session=db, invitation_id=invitation.id)
        db.commit()
        sent = provider.send(str(chat_id), "Invitation", [Button("Accept", accept)])
        post_update(callback_update(chat_id, accept, sent.message_id))
        post_update(text_update(chat_id, "hello"))
        post_update(text_update(chat_id, "/stop"))
        post_update(text_update(chat_id, "/start expired-code"))
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert lines, "the flow logs what it does"
    assert not [line for line in lines if str(chat_id) in line]
    assert not [line for line in lines if "AAtest-token" in line]


def test_set_webhook_registers_the_url_and_the_secret(
    fake_bot: FakeBotApi, provider: TelegramProvider
) -> None:
    provider.set_webhook("https://birge.example.kg/webhooks/telegram", "the-secret")
    assert fake_bot.webhook["url"] == "https://birge.example.kg/webhooks/telegram"
    assert fake_bot.webhook["secret_token"] == "the-secret"
    assert provider.username() == "BirgeTestBot"


def test_without_a_configured_secret_every_update_is_refused(client: TestClient) -> None:
    update = text_update(new_chat_id(), "/stop")
    refused = client.post(
        WEBHOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "anything"}
    )
    assert refused.status_code == 403
