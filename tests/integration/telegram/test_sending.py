"""Telegram as a channel of the one pipeline: planned, sent, answered, against the fake Bot API.

The rows are committed (the sender runs its own transactions) and the webhook is the real app,
each request committing on its own, so a button pressed in the chat meets what the sender
wrote.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_shared import channels
from birge_shared.db import session_scope
from birge_shared.free_text import EVENT_MESSAGE, free_text_channels, plan_free_text
from birge_shared.logs import JsonFormatter
from birge_shared.models import (
    Channel,
    ChannelOptOutMethod,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    OutboxEntry,
    Participant,
    ParticipantChannel,
    SurveyConversation,
    SurveyResponse,
    utcnow,
)
from birge_shared.outbound.dedupe import KeySubject
from birge_shared.outbound.plan import Target, plan_invitations, plan_messages, queue_planned
from birge_shared.pseudonyms import pseudonym
from birge_shared.settings import Settings
from birge_shared.sms.reply_instructions import reply_instruction
from birge_shared.surveys import QUESTIONS, SurveyKind
from birge_shared.tasks import SmsSend, TelegramAnswerSettle, TelegramSend
from birge_workers.outbound.lifecycle import Outcome, send_chunk
from birge_workers.outbound.sweeper import Settled, sweep_in_flight
from birge_workers.outbound.wanted import CHANNEL_OFF
from birge_workers.sending.pacing import LocalTokenBucket
from birge_workers.telegram.channel import BLOCKED, CHAT_NOT_FOUND, TelegramChannel
from birge_workers.telegram.provider import TelegramProvider
from birge_workers.telegram.settle import settle_answer
from tests.fakes.fake_bot_api import FakeBotApi
from tests.integration.sending.conftest import Rows, any_hour_settings, settings_with
from tests.integration.telegram.conftest import (
    SECRET,
    TOKEN,
    WEBHOOK,
    callback_update,
    new_chat_id,
)
from tests.integration.telegram.conftest import text_update as text_update_of
from tests.pii_scan import mentions


@pytest.fixture
def webhook(telegram_settings: Settings) -> Iterator[TestClient]:
    """The real app: each update is applied and committed in its own transaction."""
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def settings(telegram_settings: Settings) -> Settings:
    return any_hour_settings()


def post(client: TestClient, update: dict[str, Any]) -> Any:
    response = client.post(
        WEBHOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status_code == 200
    return response.json() if response.content else None


def link(rows: Rows, participant: Participant) -> int:
    """The person pressed Start through their link (tested with the bot itself)."""
    chat_id = new_chat_id()
    channels.link_telegram(session=rows.session, participant=participant, chat_id=str(chat_id))
    rows.session.commit()
    return chat_id


def queued(rows: Rows, task: type[SmsSend | TelegramSend]) -> list[list[uuid.UUID]]:
    return rows.queued_sends(task=task)


def send(settings: Settings, message_ids: list[uuid.UUID]) -> Counter[Outcome]:
    return send_chunk(
        channel=TelegramChannel(lambda: TelegramProvider.from_settings(settings)),
        message_ids=message_ids,
        transaction=session_scope,
        pacer=LocalTokenBucket(1000, capacity=1000),
        settings=settings,
    )


def invite(rows: Rows, *, linked: bool = True) -> tuple[Invitation, int | None]:
    """One planned invitation, its person linked to a chat, planned and queued as a batch is."""
    _, (invitation,) = rows.batch(rows.event(), planned=1)
    person = rows.session.get(Participant, invitation.participant_id)
    assert person is not None
    chat_id = link(rows, person) if linked else None
    return invitation, chat_id


def plan(rows: Rows, invitation: Invitation) -> None:
    planned = plan_invitations(session=rows.session, invitation_ids=[invitation.id])
    queue_planned(session=rows.session, planned=planned)
    rows.session.commit()


def message_of(rows: Rows, invitation: Invitation, purpose: str) -> Message:
    """The message first planned for the purpose (not a fallback planned after it)."""
    with Session(rows.engine, expire_on_commit=False) as session:
        return session.scalars(
            select(Message).where(
                Message.invitation_id == invitation.id,
                Message.purpose == purpose,
                Message.fallback_of_id.is_(None),
            )
        ).one()


def telegram_row(rows: Rows, participant_id: uuid.UUID) -> ParticipantChannel:
    with Session(rows.engine, expire_on_commit=False) as session:
        return session.scalars(
            select(ParticipantChannel).where(
                ParticipantChannel.participant_id == participant_id,
                ParticipantChannel.channel == Channel.TELEGRAM,
            )
        ).one()


def another_invitation(rows: Rows, participant_id: uuid.UUID) -> Invitation:
    invitation = Invitation(
        event_id=rows.event().id, participant_id=participant_id, status=InvitationStatus.PLANNED
    )
    rows.session.add(invitation)
    rows.session.commit()
    return invitation


def test_a_linked_persons_invitation_goes_by_telegram_with_buttons_and_is_answered_once(
    rows: Rows,
    fake_bot: FakeBotApi,
    settings: Settings,
    webhook: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        invitation, chat_id = invite(rows)
        plan(rows, invitation)
        assert queued(rows, SmsSend) == []
        (chunk,) = queued(rows, TelegramSend)

        assert send(settings, chunk) == Counter({Outcome.SENT: 1})

        (call,) = fake_bot.sent_to(chat_id or 0)
        text = call.params["text"]
        assert f"/p/{rows.invitation(invitation.id).token}" in text
        assert reply_instruction(text) is None
        (keyboard,) = call.params["reply_markup"]["inline_keyboard"]
        assert [button["text"] for button in keyboard] == ["Приду", "Не смогу"]
        message = message_of(rows, invitation, MessagePurpose.INVITATION)
        assert message.channel is MessageChannel.TELEGRAM
        assert message.status is MessageStatus.SENT
        assert rows.invitation(invitation.id).status is InvitationStatus.SENT

        accept = callback_update(chat_id or 0, keyboard[0]["callback_data"], 1000)
        first = post(webhook, accept)
        again = post(webhook, accept)  # Telegram delivers the same update again
        pressed_again = post(
            webhook, callback_update(chat_id or 0, accept["callback_query"]["data"], 1000)
        )

    assert first["method"] == "answerCallbackQuery"
    assert again is None
    assert pressed_again["method"] == "answerCallbackQuery"
    assert rows.invitation(invitation.id).status is InvitationStatus.ACCEPTED
    settles = [ids for ids in queued_settles(rows) if ids == accept["update_id"]]
    assert len(settles) == 1
    # Nothing of the chat reached a log line, nor the outbox's payloads.
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines
    assert not mentions(lines, [str(chat_id)])


def queued_settles(rows: Rows) -> list[int]:
    with Session(rows.engine) as session:
        return [
            int(entry.payload["update_id"])
            for entry in session.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.id > rows.outbox_after,
                    OutboxEntry.task_name == TelegramAnswerSettle.task_name,
                )
            )
        ]


def test_stop_switches_telegram_off_and_later_messages_go_by_sms(
    rows: Rows, fake_bot: FakeBotApi, settings: Settings, webhook: TestClient
) -> None:
    earlier, chat_id = invite(rows)
    plan(rows, earlier)
    (chunk,) = queued(rows, TelegramSend)

    stopped = post(webhook, text_update_of(chat_id or 0, "/stop"))
    assert stopped["method"] == "sendMessage"

    # Planned before the /stop: skipped when its turn comes, and planned once on the next
    # channel instead.
    assert send(settings, chunk) == Counter({Outcome.SKIPPED: 1})
    skipped = message_of(rows, earlier, MessagePurpose.INVITATION)
    assert skipped.error_reason == CHANNEL_OFF
    assert fake_bot.sent_to(chat_id or 0) == []
    fallback = rows.session.scalars(
        select(Message).where(Message.fallback_of_id == skipped.id)
    ).one()
    assert fallback.channel is MessageChannel.SMS
    assert len(queued(rows, SmsSend)) == 1

    # Planned after it: by SMS.
    rows.session.expire_all()
    second = another_invitation(rows, earlier.participant_id)
    plan(rows, second)
    assert queued(rows, TelegramSend) == []
    assert len(queued(rows, SmsSend)) == 1
    assert message_of(rows, second, MessagePurpose.INVITATION).channel is MessageChannel.SMS


def test_a_blocked_bot_switches_telegram_off_and_the_next_invitation_goes_by_sms(
    rows: Rows, fake_bot: FakeBotApi, settings: Settings
) -> None:
    invitation, chat_id = invite(rows)
    fake_bot.blocked_chats.add(str(chat_id))
    plan(rows, invitation)
    (chunk,) = queued(rows, TelegramSend)

    assert send(settings, chunk) == Counter({Outcome.FAILED: 1})

    assert message_of(rows, invitation, MessagePurpose.INVITATION).error_code == BLOCKED
    assert telegram_row(rows, invitation.participant_id).opt_out_method is (
        ChannelOptOutMethod.BLOCKED
    )
    rows.session.expire_all()
    later = another_invitation(rows, invitation.participant_id)
    plan(rows, later)
    assert message_of(rows, later, MessagePurpose.INVITATION).channel is MessageChannel.SMS


def test_a_chat_not_found_is_refused_for_the_next_channel_and_leaves_telegram_on(
    rows: Rows, fake_bot: FakeBotApi, settings: Settings
) -> None:
    invitation, chat_id = invite(rows)
    fake_bot.missing_chats.add(str(chat_id))
    plan(rows, invitation)
    (chunk,) = queued(rows, TelegramSend)

    assert send(settings, chunk) == Counter({Outcome.FAILED: 1})

    message = message_of(rows, invitation, MessagePurpose.INVITATION)
    assert message.error_code == CHAT_NOT_FOUND
    assert str(chat_id) not in (message.error_reason or "")
    assert telegram_row(rows, invitation.participant_id).opted_out_at is None


def test_a_flood_wait_retries_after_telegrams_delay_and_a_bad_gateway_with_the_backoff(
    rows: Rows, fake_bot: FakeBotApi, settings: Settings
) -> None:
    flooded, _ = invite(rows)
    failed, _ = invite(rows)
    plan(rows, flooded)
    plan(rows, failed)
    (first,), (second,) = queued(rows, TelegramSend)

    fake_bot.flood_wait = 600
    before = utcnow()
    assert send(settings, [first]) == Counter({Outcome.RETRY: 1})
    fake_bot.flood_wait = None
    fake_bot.failing = 1
    assert send(settings, [second]) == Counter({Outcome.RETRY: 1})

    waiting = message_of(rows, flooded, MessagePurpose.INVITATION)
    assert waiting.status is MessageStatus.PLANNED
    assert waiting.error_code == "429"
    assert waiting.not_before is not None
    assert waiting.not_before >= before + timedelta(seconds=600)
    again = message_of(rows, failed, MessagePurpose.INVITATION)
    assert again.status is MessageStatus.PLANNED
    assert again.not_before is not None
    assert again.not_before < before + timedelta(seconds=600)
    assert fake_bot.total_sent == 0


def test_quiet_hours_hold_a_telegram_invitation(
    rows: Rows, fake_bot: FakeBotApi, telegram_settings: Settings
) -> None:
    invitation, _ = invite(rows)
    plan(rows, invitation)
    (chunk,) = queued(rows, TelegramSend)
    # Quiet from an hour ago to an hour from now, Bishkek time, whenever the test runs.
    here = utcnow().astimezone(ZoneInfo("Asia/Bishkek"))
    night = settings_with(
        quiet_hours_start=time((here.hour - 1) % 24), quiet_hours_end=time((here.hour + 1) % 24)
    )

    assert send(night, chunk) == Counter({Outcome.QUIET: 1})

    assert fake_bot.total_sent == 0
    assert message_of(rows, invitation, MessagePurpose.INVITATION).not_before is not None


def survey_question(rows: Rows, invitation: Invitation) -> SurveyConversation:
    """The post survey open for an attendee, its first question planned on their messenger."""
    rows.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(status=InvitationStatus.ATTENDED)
    )
    now = utcnow()
    conversation = SurveyConversation(
        invitation_id=invitation.id,
        kind=SurveyKind.POST.value,
        step=0,
        started_at=now,
        expires_at=now + timedelta(hours=48),
    )
    rows.session.add(conversation)
    rows.session.flush()
    person = rows.session.get(Participant, invitation.participant_id)
    assert person is not None
    planned = plan_messages(
        session=rows.session,
        purpose=MessagePurpose.SURVEY_QUESTION_RATING,
        targets=[
            Target(
                participant=person,
                invitation_id=invitation.id,
                subject=KeySubject.CONVERSATION,
                subject_id=str(conversation.id),
            )
        ],
        version="question:0",
    )
    queue_planned(session=rows.session, planned=planned)
    rows.session.commit()
    return conversation


def test_a_survey_question_goes_with_a_button_per_answer_and_each_answer_counts_once(
    rows: Rows,
    fake_bot: FakeBotApi,
    settings: Settings,
    webhook: TestClient,
    telegram_settings: Settings,
) -> None:
    invitation, chat_id = invite(rows)
    conversation = survey_question(rows, invitation)
    (chunk,) = queued(rows, TelegramSend)

    assert send(settings, chunk) == Counter({Outcome.SENT: 1})

    (call,) = fake_bot.sent_to(chat_id or 0)
    assert reply_instruction(call.params["text"]) is None
    (keyboard,) = call.params["reply_markup"]["inline_keyboard"]
    assert [button["text"] for button in keyboard] == ["1", "2", "3", "4", "5"]
    four = callback_update(chat_id or 0, keyboard[3]["callback_data"], 1000)
    assert post(webhook, four)["method"] == "answerCallbackQuery"
    assert post(webhook, four) is None  # delivered again: nothing
    # The 2 pressed afterwards changes nothing: the first answer to an item wins.
    post(webhook, callback_update(chat_id or 0, keyboard[1]["callback_data"], 1000))

    with Session(rows.engine) as session:
        response = session.scalars(
            select(SurveyResponse).where(
                SurveyResponse.pseudonym == pseudonym(invitation.participant_id)
            )
        ).one()
        assert response.rating == 4
        assert response.channel == "telegram"

    # Settling the answer asks the next question, on Telegram, once.
    def bot() -> TelegramProvider:
        return TelegramProvider.from_settings(telegram_settings)

    with session_scope() as session:
        assert (
            settle_answer(session=session, update_id=four["update_id"], provider=bot) == "settled"
        )
    with session_scope() as session:
        assert settle_answer(session=session, update_id=four["update_id"], provider=bot) == (
            "nothing to settle"
        )
    (following,) = queued(rows, TelegramSend)
    talk = message_of(rows, invitation, MessagePurpose.SURVEY_QUESTION_TALK)
    assert following == [talk.id]
    with Session(rows.engine) as session:
        stored = session.get(SurveyConversation, conversation.id)
        assert stored is not None
        assert QUESTIONS[SurveyKind.POST][stored.step].value == "talk"


def test_a_send_whose_answer_is_lost_is_settled_by_the_hand_over_mark_not_sent_again(
    rows: Rows, fake_bot: FakeBotApi, settings: Settings
) -> None:
    invitation, chat_id = invite(rows)
    plan(rows, invitation)
    (chunk,) = queued(rows, TelegramSend)
    fake_bot.hold_after = 0  # the request reaches the API, and no answer comes back in time

    outcomes = send_chunk(
        channel=TelegramChannel(
            lambda: TelegramProvider(token=TOKEN, api_base=fake_bot.base_url, timeout=0.5)
        ),
        message_ids=chunk,
        transaction=session_scope,
        pacer=LocalTokenBucket(1000, capacity=1000),
        settings=settings,
    )
    fake_bot.release_held()

    assert outcomes == Counter({Outcome.IN_DOUBT: 1})
    left = message_of(rows, invitation, MessagePurpose.INVITATION)
    assert left.status is MessageStatus.SENDING
    assert left.sent_at is not None  # the mark, committed before the request
    channel = TelegramChannel(lambda: TelegramProvider.from_settings(settings))
    swept = sweep_in_flight(
        transaction=session_scope,
        channels=[channel],
        settings=settings,
        now=utcnow() + timedelta(minutes=15),
    )
    assert swept == Counter({Settled.FOUND: 1})
    assert message_of(rows, invitation, MessagePurpose.INVITATION).status is MessageStatus.SENT
    # Counted as sent, never sent twice: the doubt case is a message lost, not doubled.
    assert fake_bot.sent_to(chat_id or 0) == []
    assert queued(rows, TelegramSend) == []


def test_a_refused_connection_is_not_sent_and_is_retried(rows: Rows, settings: Settings) -> None:
    invitation, _ = invite(rows)
    plan(rows, invitation)
    (chunk,) = queued(rows, TelegramSend)
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"

    outcomes = send_chunk(
        channel=TelegramChannel(lambda: TelegramProvider(token=TOKEN, api_base=nowhere)),
        message_ids=chunk,
        transaction=session_scope,
        pacer=LocalTokenBucket(1000, capacity=1000),
        settings=settings,
    )

    assert outcomes == Counter({Outcome.RETRY: 1})
    retried = message_of(rows, invitation, MessagePurpose.INVITATION)
    assert retried.status is MessageStatus.PLANNED
    assert retried.sent_at is None


def test_a_coordinators_message_to_a_linked_person_goes_by_telegram_as_written(
    rows: Rows, fake_bot: FakeBotApi, settings: Settings
) -> None:
    invitation, chat_id = invite(rows)
    rows.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(status=InvitationStatus.ACCEPTED)
    )
    person = rows.session.get_one(Participant, invitation.participant_id)
    (channel,) = free_text_channels(
        session=rows.session, people=[person], purpose=EVENT_MESSAGE, now=utcnow()
    ).values()
    assert channel is MessageChannel.TELEGRAM
    text = "Кабинет 204, не 105: встречаемся у входа со двора в 18:00, возьмите с собой паспорт."
    message_id = plan_free_text(
        session=rows.session,
        purpose=EVENT_MESSAGE,
        participant_id=person.id,
        invitation_id=invitation.id,
        text=text,
        version="room",
        channel=channel,
    )
    rows.session.commit()
    assert message_id is not None

    assert send(settings, [message_id]) == Counter({Outcome.SENT: 1})
    assert send(settings, [message_id]) == Counter({Outcome.NOT_PLANNED: 1})

    (call,) = fake_bot.sent_to(chat_id or 0)
    # As written, whole: no segments, no buttons; a coordinator's words ask no answer.
    assert call.params["text"] == text
    assert "reply_markup" not in call.params
    assert rows.message(message_id).status is MessageStatus.SENT
