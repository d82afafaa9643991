from __future__ import annotations

import pytest

from birge_shared.sms.keywords import Intent, parse_reply


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("YES", Intent.ACCEPT),
        (" yes. ", Intent.ACCEPT),
        ("Yes!!", Intent.ACCEPT),
        ("да", Intent.ACCEPT),
        ("Да!", Intent.ACCEPT),
        ("ООБА", Intent.ACCEPT),
        ("ooба", Intent.ACCEPT),  # Latin o's typed into a Kyrgyz word
        ("1", Intent.ACCEPT),
        (" 1 ", Intent.ACCEPT),
        ("no", Intent.DECLINE),
        ("NO.", Intent.DECLINE),
        ("Нет", Intent.DECLINE),
        ("жок", Intent.DECLINE),
        ("ЖОК!", Intent.DECLINE),
        ("2", Intent.DECLINE),
        ("STOP", Intent.STOP),
        ("stopall", Intent.STOP),
        ("Unsubscribe", Intent.STOP),
        ("cancel", Intent.STOP),
        ("END", Intent.STOP),
        ("quit", Intent.STOP),
        ("СТОП", Intent.STOP),
        ("стоп.", Intent.STOP),
        ("Отписаться", Intent.STOP),
        ("ТОКТОТ", Intent.STOP),
        ("START", Intent.START),
        ("unstop", Intent.START),
        ("СТАРТ", Intent.START),
        ("HELP", Intent.HELP),
        ("info", Intent.HELP),
        ("ПОМОЩЬ", Intent.HELP),
        ("жардам?", Intent.HELP),
        ("maybe", Intent.UNKNOWN),
        ("yes please", Intent.UNKNOWN),
        ("", Intent.UNKNOWN),
        ("12", Intent.UNKNOWN),
    ],
)
def test_replies_are_understood(text: str, intent: Intent) -> None:
    assert parse_reply(text) is intent
