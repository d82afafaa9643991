"""Telegram's limits, held before any call: callback data, text length, the start code."""

from __future__ import annotations

import pytest

from birge_shared.invitations import Answer
from birge_shared.models import Language
from birge_shared.telegram_links import (
    MAX_CALLBACK_DATA,
    button_label,
    callback_data,
    start_link,
)
from birge_workers.telegram.provider import (
    MAX_TEXT_LENGTH,
    Button,
    TelegramProvider,
    TelegramRejectedError,
    keyboard,
)


def test_callback_data_is_a_letter_and_the_token_within_64_bytes() -> None:
    assert callback_data(Answer.ACCEPT, "t" * 22) == "a:" + "t" * 22
    assert callback_data(Answer.DECLINE, "t" * 22) == "d:" + "t" * 22
    with pytest.raises(ValueError, match="longer"):
        callback_data(Answer.ACCEPT, "t" * MAX_CALLBACK_DATA)


def test_a_keyboard_refuses_callback_data_telegram_would_refuse() -> None:
    markup = keyboard([Button("Accept", "a:x"), Button("Decline", "d:x")])
    assert markup is not None
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["a:x", "d:x"]
    assert keyboard([]) is None
    with pytest.raises(ValueError, match="longer"):
        keyboard([Button("Да", "a:" + "я" * 32)])  # 66 bytes in UTF-8


def test_a_text_over_4096_characters_is_refused_without_a_call() -> None:
    # Port 9 (discard) on loopback: a call would fail as unreachable, not as rejected.
    bot = TelegramProvider(token="1:x", api_base="http://127.0.0.1:9")
    try:
        with pytest.raises(TelegramRejectedError, match="4096"):
            bot.send("1", "x" * (MAX_TEXT_LENGTH + 1))
        with pytest.raises(TelegramRejectedError):
            bot.send("1", "")
    finally:
        bot.close()


def test_a_start_link_names_the_bot_and_the_code() -> None:
    assert start_link("BirgeBot", "abc_-1") == "https://t.me/BirgeBot?start=abc_-1"


def test_the_buttons_say_what_the_page_says_in_the_persons_language() -> None:
    assert button_label(Answer.ACCEPT, Language.EN) == "I'll come"
    assert button_label(Answer.ACCEPT, Language.KY) == "Катышам"
    assert button_label(Answer.DECLINE, Language.RU) != "I can't come"
