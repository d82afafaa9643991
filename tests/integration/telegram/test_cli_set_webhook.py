"""`birge telegram set-webhook` registers the webhook URL and the secret with the Bot API."""

from __future__ import annotations

import pytest

from birge_cli.main import build_parser, cmd_telegram_set_webhook
from birge_shared.settings import Settings
from tests.fakes.fake_bot_api import FakeBotApi
from tests.integration.telegram.conftest import SECRET


def test_set_webhook_registers_the_public_url_and_the_secret(
    fake_bot: FakeBotApi, telegram_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(["telegram", "set-webhook"])
    assert args.handler is cmd_telegram_set_webhook

    assert cmd_telegram_set_webhook(args, telegram_settings) == 0

    assert fake_bot.webhook["url"] == telegram_settings.public_base_url + "/webhooks/telegram"
    assert fake_bot.webhook["secret_token"] == SECRET
    assert fake_bot.webhook["allowed_updates"] == ["message", "callback_query"]
    printed = capsys.readouterr()
    assert "@BirgeTestBot" in printed.out
    assert SECRET not in printed.out + printed.err


def test_without_a_secret_nothing_is_registered(
    fake_bot: FakeBotApi, telegram_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = telegram_settings.model_copy(update={"telegram_webhook_secret": None})
    args = build_parser().parse_args(["telegram", "set-webhook"])
    assert cmd_telegram_set_webhook(args, settings) == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err
    assert fake_bot.called("setWebhook") == []
