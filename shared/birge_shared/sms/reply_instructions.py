"""What counts as asking for an SMS reply, for a sender that cannot receive one.

A text asks for a reply when it
- names a reply keyword (`birge_shared.sms.keywords`) in capitals, the way texts ask for one
  to be sent back: YES, STOP, ДА, СТОП, ООБА, ТОКТОТ… (a keyword in lower case is an ordinary
  word: "да", "no", "ok");
- uses a verb that asks to write back: reply, text back, ответьте, напишите, пришлите, жооп
  бериңиз, деп жазыңыз…;
- offers numbered answers to send: "1 — yes", "1 = poor", "от 1 до 5", "1ден 5ке", "Answer 1".

"Ответить: {link}" and "Жооп берүү: {link}" are not instructions to reply: they name the link
that is the answer path.
"""

from __future__ import annotations

import re

from birge_shared.sms.keywords import KEYWORDS

# One-letter and numeric keywords ("y", "1") are too common in texts to mean an instruction.
_CAPITAL_KEYWORDS = sorted(
    (word.upper() for word in KEYWORDS if len(word) > 1 and word.isalpha()),
    key=len,
    reverse=True,
)
_KEYWORD = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, _CAPITAL_KEYWORDS)) + r")(?!\w)")

_VERBS = (
    # en
    r"reply",
    r"text\s+(?:back|us)",
    r"send\s+us",
    r"answer\s+(?:with|\d)",
    # ru
    r"ответьте",
    r"ответь",
    r"напишите",
    r"пришлите",
    r"отправьте",
    # ky
    r"жооп\s+бериңиз",
    r"жооп\s+бергиле",
    r"деп\s+жазыңыз",
    r"жазып\s+жибериңиз",
)
_VERB = re.compile(r"(?<!\w)(?:" + "|".join(_VERBS) + r")(?!\w)", re.IGNORECASE)

# "1 — да", "5 = excellent": a number offered as the answer to send. A hyphen is left out: the
# Kyrgyz date is written "14-март".
_NUMBERED = re.compile(r"(?<!\w)\d\s*[—–=]\s*\w|(?<!\w)(?:от\s+)?1\s*(?:to|до|ден)\s*5", re.I)


def reply_instruction(text: str) -> str | None:
    """The words of `text` that ask for an SMS reply, or None when it asks for none."""
    for pattern in (_KEYWORD, _VERB, _NUMBERED):
        found = pattern.search(text)
        if found is not None:
            return found.group(0)
    return None
