"""The Telegram bot's tests run against a local fake of the Bot API, over real HTTP."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from birge_shared.models import TelegramUpdate
from birge_shared.settings import Settings, get_settings
from birge_workers.telegram.provider import TelegramProvider
from tests.fakes.fake_bot_api import BOT_USERNAME, FakeBotApi, running_fake_bot_api
from tests.integration.sending.conftest import Rows

TOKEN = "7000000001:AAtest-token-for-the-fake-bot-api"
SECRET = "webhook-secret_" + "x" * 20
WEBHOOK = "/webhooks/telegram"

_update_ids = itertools.count(10_000 + secrets.randbelow(1_000_000) * 1000)
_chat_ids = itertools.count(400_000_000 + secrets.randbelow(100_000_000))


def next_update_id() -> int:
    return next(_update_ids)


def new_chat_id() -> int:
    """A private chat's id, as Telegram gives it (the user's id), unique within the run."""
    return next(_chat_ids)


@pytest.fixture
def rows(raw_engine: Engine) -> Iterator[Rows]:
    """Committed rows, for tests where the sender runs its own transactions."""
    made = Rows(raw_engine)
    yield made
    with Session(raw_engine) as session:
        # The updates of a chat with nobody linked (a /stop) have no person to go with.
        session.execute(delete(TelegramUpdate).where(TelegramUpdate.participant_id.is_(None)))
        session.commit()
    made.cleanup()


@pytest.fixture
def fake_bot() -> Iterator[FakeBotApi]:
    with running_fake_bot_api(TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram_settings(fake_bot: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT_USERNAME)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE", fake_bot.base_url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def provider(telegram_settings: Settings) -> Iterator[TelegramProvider]:
    bot = TelegramProvider.from_settings(telegram_settings)
    yield bot
    bot.close()


def user(chat_id: int, language: str = "ru") -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Aigul", "language_code": language}


def text_update(chat_id: int, text: str, *, update_id: int | None = None) -> dict[str, Any]:
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "message": {
            "message_id": 1,
            "date": 1_764_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Aigul"},
            "from": user(chat_id),
            "text": text,
        },
    }


def callback_update(
    chat_id: int, data: str, message_id: int, *, update_id: int | None = None
) -> dict[str, Any]:
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "callback_query": {
            "id": f"cbq-{secrets.token_hex(6)}",
            "from": user(chat_id),
            "chat_instance": "-1234",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1_764_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "text": "Invitation",
            },
        },
    }


Post = Callable[..., Any]


@pytest.fixture
def post_update(client: TestClient, telegram_settings: Settings) -> Post:
    """Post an update as Telegram does: JSON, with the secret token header."""

    def _post(update: dict[str, Any], secret: str | None = SECRET) -> Any:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return client.post(WEBHOOK, json=update, headers=headers)

    return _post
