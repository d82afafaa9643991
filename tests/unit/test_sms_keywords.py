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
        ("", Intent.UNKNOWN),
        ("12", Intent.UNKNOWN),
    ],
)
def test_replies_are_understood(text: str, intent: Intent) -> None:
    assert parse_reply(text) is intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Natural answers, with punctuation and a few words around them.
        ("yes please", Intent.ACCEPT),
        ("Yes, see you!", Intent.ACCEPT),
        ("OK", Intent.ACCEPT),
        ("ok.", Intent.ACCEPT),
        ("да, приду", Intent.ACCEPT),
        ("Да да", Intent.ACCEPT),
        ("ок", Intent.ACCEPT),
        ("Ооба, келем", Intent.ACCEPT),
        ("макул", Intent.ACCEPT),
        ("no thanks", Intent.DECLINE),
        ("No, sorry", Intent.DECLINE),
        ("нет, спасибо", Intent.DECLINE),
        ("Не смогу", Intent.DECLINE),
        ("не приду(", Intent.DECLINE),
        ("жок, рахмат", Intent.DECLINE),
        ("келе албайм", Intent.DECLINE),
        ("can't make it", Intent.DECLINE),
        # Mixed or doubtful: for a person to read, never a guess.
        ("да нет", Intent.UNKNOWN),
        ("yes no", Intent.UNKNOWN),
        ("да, но не смогу", Intent.UNKNOWN),
        ("yes stop", Intent.UNKNOWN),
        ("1 2", Intent.UNKNOWN),
        ("2 people", Intent.UNKNOWN),
        ("maybe yes", Intent.UNKNOWN),
        ("where is it?", Intent.UNKNOWN),
    ],
)
def test_natural_answers(text: str, intent: Intent) -> None:
    assert parse_reply(text) is intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Opt-outs in people's own words, in en, ru and ky.
        ("Stop please", Intent.STOP),
        ("STOP STOP", Intent.STOP),
        ("stop!!! stop", Intent.STOP),
        ("Unsubscribe me", Intent.STOP),
        ("please unsubscribe me from this list", Intent.STOP),
        ("Don't text me", Intent.STOP),
        ("opt out", Intent.STOP),
        ("Стоп, пожалуйста", Intent.STOP),
        ("отписаться от рассылки", Intent.STOP),
        ("Отпишите меня", Intent.STOP),
        ("Больше не пишите", Intent.STOP),
        ("не пишите мне", Intent.STOP),
        ("мага жазбагыла", Intent.STOP),
        ("Мага жазбаңыз, сураныч", Intent.STOP),
        ("токтотуу", Intent.STOP),
        ("Токтот!", Intent.STOP),
        # "stop" inside another word, or beside other words, is not an opt-out.
        ("nonstop", Intent.UNKNOWN),
        ("stopwatch", Intent.UNKNOWN),
        ("Nonstop fun, thank you!", Intent.UNKNOWN),
        ("I'll stop by at five", Intent.UNKNOWN),
        ("don't stop", Intent.UNKNOWN),
        ("bus stop near the venue?", Intent.UNKNOWN),
        ("остановка где?", Intent.UNKNOWN),
        ("стопка книг", Intent.UNKNOWN),
        ("не стоп", Intent.UNKNOWN),
        ("токтотпойм", Intent.UNKNOWN),
        ("пишите мне", Intent.UNKNOWN),
        ("мага жазгыла", Intent.UNKNOWN),
        # Starting again and asking for help, with the same filler.
        ("start please", Intent.START),
        ("Старт, пожалуйста", Intent.START),
        ("help me", Intent.HELP),
        ("Помощь пожалуйста", Intent.HELP),
        ("жардам сураныч", Intent.HELP),
        ("stop help", Intent.UNKNOWN),
    ],
)
def test_keywords_in_peoples_own_words(text: str, intent: Intent) -> None:
    assert parse_reply(text) is intent
