"""The same button press delivered several times at once, each in its own transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_shared import channels
from birge_shared.models import (
    Event,
    Invitation,
    InvitationStatus,
    OutboxEntry,
    Participant,
    TelegramUpdate,
)
from birge_shared.settings import Settings
from birge_shared.tasks import TelegramAnswerSettle
from birge_shared.telegram_links import answer_buttons
from tests.factories import make_event, make_invitation, make_participant
from tests.integration.telegram.conftest import SECRET, WEBHOOK, callback_update, new_chat_id


def test_one_press_delivered_five_times_at_once_answers_once(
    raw_engine: Engine, telegram_settings: Settings
) -> None:
    chat_id = new_chat_id()
    with Session(raw_engine, expire_on_commit=False) as session:
        participant = make_participant(session)
        event = make_event(session, min_share=0.0)
        invitation = make_invitation(session, event=event, participant=participant)
        channels.link_telegram(session=session, participant=participant, chat_id=str(chat_id))
        (_, accept), _ = answer_buttons(session=session, invitation_id=invitation.id)
        session.commit()
    update = callback_update(chat_id, accept, 77)
    app = create_app()  # the real session dependency: each request commits on its own
    try:
        with TestClient(app) as real_client:

            def deliver(_: int) -> tuple[int, bytes]:
                response = real_client.post(
                    WEBHOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                )
                return response.status_code, response.content

            with ThreadPoolExecutor(max_workers=5) as pool:
                answers = list(pool.map(deliver, range(5)))
        assert [status for status, _ in answers] == [200] * 5
        replied = [body for _, body in answers if body]
        assert len(replied) == 1
        assert b"answerCallbackQuery" in replied[0]
        with Session(raw_engine) as session:
            assert session.get(Invitation, invitation.id).status is InvitationStatus.ACCEPTED  # type: ignore[union-attr]
            settles = [
                entry
                for entry in session.scalars(
                    select(OutboxEntry).where(
                        OutboxEntry.task_name == TelegramAnswerSettle.task_name
                    )
                )
                if entry.payload == {"update_id": update["update_id"]}
            ]
            assert len(settles) == 1
    finally:
        with Session(raw_engine) as session:
            for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.task_name == TelegramAnswerSettle.task_name)
            ):
                if entry.payload == {"update_id": update["update_id"]}:
                    session.delete(entry)
            session.execute(
                delete(TelegramUpdate).where(TelegramUpdate.update_id == update["update_id"])
            )
            session.execute(delete(Event).where(Event.id == event.id))
            session.execute(delete(Participant).where(Participant.id == participant.id))
            session.commit()
