"""Understanding an SMS reply: accept, decline, stop, start, help, or something else.

People answer on small keyboards in three languages: any case, stray spaces and punctuation,
and Latin letters typed into Cyrillic words (a Latin "O" in "ООБА") are all accepted, and so
are the few words people add around an answer ("yes please", "да, приду", "Стоп, пожалуйста").

The rules stay conservative, because a wrong reading changes a person's record:

- An opt-out, opt-in or help request is a message made only of that keyword (repeated or not)
  and polite filler ("stop stop", "Unsubscribe me"), or one of a few fixed phrases ("мага
  жазбагыла", "не пишите мне"). A keyword inside another word ("nonstop", "stopwatch") or
  next to other words ("stop by at five") is not one.
- A yes or no is a message that starts with a yes or no word (or is a phrase such as "не
  смогу"), with nothing of the other answer, nor a keyword, anywhere after it.
- Everything else is unknown, and kept for the coordinator.
"""

from __future__ import annotations

import enum
import re
import unicodedata


class Intent(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    STOP = "stop"
    START = "start"
    HELP = "help"
    UNKNOWN = "unknown"


_KEYWORDS: dict[Intent, frozenset[str]] = {
    Intent.ACCEPT: frozenset(
        {
            "yes",
            "y",
            "yeah",
            "yep",
            "ok",
            "okay",
            "sure",
            "да",
            "ага",
            "ок",
            "окей",
            "конечно",
            "ооба",
            "макул",
            "1",
        }
    ),
    Intent.DECLINE: frozenset({"no", "n", "nope", "нет", "неа", "жок", "2"}),
    Intent.STOP: frozenset(
        {
            "stop",
            "stopall",
            "unsubscribe",
            "cancel",
            "end",
            "quit",
            "optout",
            "стоп",
            "отписаться",
            "отписка",
            "отпишите",
            "токтот",
            "токтотуу",
            "токтоткула",
        }
    ),
    Intent.START: frozenset({"start", "unstop", "старт"}),
    Intent.HELP: frozenset({"help", "info", "помощь", "жардам"}),
}
_BY_WORD = {word: intent for intent, words in _KEYWORDS.items() for word in words}

#: Every keyword a reply is read for, in lower case: a text that asks for one of these asks
#: for a reply (see `birge_shared.sms.reply_instructions`).
KEYWORDS = frozenset(_BY_WORD)

#: Words people add around a keyword without changing what it asks for.
_FILLER = frozenset(
    {
        # en
        "please",
        "pls",
        "plz",
        "me",
        "now",
        "all",
        "from",
        "this",
        "list",
        "messages",
        "sms",
        "texts",
        "thanks",
        "thank",
        "you",
        # ru
        "пожалуйста",
        "плиз",
        "меня",
        "мне",
        "от",
        "рассылки",
        "рассылка",
        "сообщений",
        "смс",
        "все",
        "всё",
        "спасибо",
        # ky
        "сураныч",
        "мени",
        "мага",
        "баарын",
        "рахмат",
    }
)

#: Opt-outs that carry no keyword, compared after the filler is taken out.
_STOP_PHRASES = frozenset(
    {
        "жазбагыла",
        "жазбаңыз",
        "жазбагыла эми",
        "не пишите",
        "больше не пишите",
        "не присылайте",
        "больше не присылайте",
        "dont text",
        "do not text",
        "dont message",
        "do not message",
        "opt out",
    }
)

#: A no in words, compared with the start of the message.
_DECLINE_PHRASES = (
    ("не", "приду"),
    ("не", "смогу"),
    ("не", "могу"),
    ("не", "буду"),
    ("не", "получится"),
    ("келе", "албайм"),
    ("бара", "албайм"),
    ("cant",),
    ("cannot",),
    ("can", "not"),
)

_SPLIT = re.compile(r"[^\w]+|_")
_APOSTROPHES = str.maketrans("", "", "'’`ʼ")

# Latin letters that look like Cyrillic ones, folded only inside a word that already has
# Cyrillic in it, so "no" stays English while "ДA" (Latin A) still reads as "да".
_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")


def _fold(word: str) -> str:
    if any("а" <= char <= "я" or char in "ёөүң" for char in word):
        return word.translate(_LOOKALIKES)
    return word


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _fold("".join(char for char in folded if char.isalnum()))


def words(text: str) -> list[str]:
    """The message's words, folded as the keywords are ("Don't" is one word, "dont")."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return [_fold(word) for word in _SPLIT.split(folded) if word]


def parse_reply(text: str) -> Intent:
    # The whole message as one word first: "S T O P", "Ооба." and "yes!" as ever.
    whole = _BY_WORD.get(_normalise(text))
    if whole is not None:
        return whole
    found = words(text)
    core = [word for word in found if word not in _FILLER]
    keyword = _only_keyword(core)
    if keyword is not None:
        return keyword
    if " ".join(core) in _STOP_PHRASES:
        return Intent.STOP
    return _yes_or_no(found)


def _only_keyword(core: list[str]) -> Intent | None:
    """STOP, START or HELP when the message holds that keyword and nothing else but filler."""
    intents = {_BY_WORD.get(word) for word in core}
    if len(intents) != 1:
        return None
    [intent] = intents
    if intent in (Intent.STOP, Intent.START, Intent.HELP):
        return intent
    return None


def _yes_or_no(found: list[str]) -> Intent:
    if not found:
        return Intent.UNKNOWN
    if any(tuple(found[: len(phrase)]) == phrase for phrase in _DECLINE_PHRASES):
        answer, rest = Intent.DECLINE, found[1:]
    else:
        first = _BY_WORD.get(found[0])
        if first not in (Intent.ACCEPT, Intent.DECLINE):
            return Intent.UNKNOWN
        answer, rest = first, found[1:]
    # Numbers count only alone: "1 2" or "2 people" is not an answer.
    if found[0].isdecimal() and len(found) > 1:
        return Intent.UNKNOWN
    others = {_BY_WORD.get(word) for word in rest} - {None, answer}
    negated = answer is Intent.ACCEPT and any(word in ("не", "not", "no") for word in rest)
    if others or negated:
        return Intent.UNKNOWN  # "да нет", "yes stop", "да, но не смогу": for a person to read
    return answer
