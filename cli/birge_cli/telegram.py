"""`birge telegram set-webhook`: tell Telegram where to post the bot's updates, with the secret.

The URL is PUBLIC_BASE_URL's webhook path; Telegram will echo TELEGRAM_WEBHOOK_SECRET in the
`X-Telegram-Bot-Api-Secret-Token` header of every update, which the webhook checks.
"""

from __future__ import annotations

from birge_shared.settings import Settings
from birge_workers.telegram.provider import WEBHOOK_PATH, TelegramProvider


class TelegramNotConfiguredError(ValueError):
    """A setting the bot needs is missing; the text names the setting, never a value."""


def webhook_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + WEBHOOK_PATH


def set_webhook(settings: Settings) -> tuple[str, str]:
    """Register the webhook; returns the URL and the bot's username as Telegram knows it."""
    if settings.telegram_bot_token is None:
        raise TelegramNotConfiguredError("TELEGRAM_BOT_TOKEN is not set")
    if settings.telegram_webhook_secret is None:
        raise TelegramNotConfiguredError("TELEGRAM_WEBHOOK_SECRET is not set")
    url = webhook_url(settings)
    if not url.startswith("https://") and settings.telegram_api_base == "https://api.telegram.org":
        raise TelegramNotConfiguredError("Telegram posts only to https: set PUBLIC_BASE_URL")
    bot = TelegramProvider.from_settings(settings)
    try:
        bot.set_webhook(url, settings.telegram_webhook_secret.get_secret_value())
        return url, bot.username()
    finally:
        bot.close()
