"""The item bank: every survey item Birge can ask, how it is answered, where its words come from.

This is the one registry of survey items. The rollup triggers (`birge_shared.rollups`), the
answer functions (`birge_shared.surveys`), the participant page and the evaluator's dataset
read their items from here, so a new item is one entry here, one `survey_response` column and
a migration re-creating the triggers.

Two families:
- **attitude items** are asked in every wave (pre, post, follow-up), so each person's change
  from one wave to a later one is a figure (`PAIRED_WAVES`). A coordinator chooses them per
  event (`Event.survey_items`); the default is the 1–5 attitude item alone.
- **behavioural items** are asked in the follow-up wave only, of every event.

The wording is an English msgid translated through the gettext catalogues; `sources` says,
per language, where each wording comes from. The Kyrgyz and Russian wordings of the adapted
measures are the programme's own translations, not published validated versions: that is
said so in each source, and an evaluator reads it in the codebook.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from birge_shared.i18n import N_
from birge_shared.models.enums import Language


class Answer(enum.StrEnum):
    SCALE = "scale"  # a number in `values`, its ends labelled
    YES_NO = "yes_no"  # stored as a boolean, answered 1 = yes, 2 = no
    CHOICE = "choice"  # one of a few labelled codes


#: How yes and no are answered on the page and by SMS (stored as true and false).
YES, NO = 1, 2


class Family(enum.StrEnum):
    ATTITUDE = "attitude"
    BEHAVIOUR = "behaviour"
    EVENT = "event"  # about the event itself (post wave only): rating, cross-group talk


@dataclass(frozen=True)
class BankItem:
    code: str
    #: The `survey_response` column holding the answer.
    column: str
    family: Family
    answer: Answer
    values: tuple[int, ...]
    #: Labels of the answer codes (msgids); for a scale, its two ends only.
    value_labels: Mapping[int, str]
    #: The question as asked on the personal page (msgid).
    wording: str
    #: Where each language's wording comes from.
    sources: Mapping[Language, str]
    #: A short label for reports and the codebook (English).
    label: str
    #: Its short name in the console's reports (msgid).
    title: str

    @property
    def stored_boolean(self) -> bool:
        return self.answer is Answer.YES_NO


_PROGRAMME_KY = "Kyrgyz: the programme's own translation from the English, back-translated"
_PROGRAMME_RU = "Russian: the programme's own translation from the English, back-translated"
_OWN = "Birge's own item"

ATTITUDE = BankItem(
    code="attitude",
    column="attitude",
    family=Family.ATTITUDE,
    answer=Answer.SCALE,
    values=(1, 2, 3, 4, 5),
    value_labels={1: N_("very negative"), 5: N_("very positive")},
    wording=N_("How do you feel about people from the other community?"),
    sources={
        Language.EN: f"{_OWN}: a single 5-point attitude item",
        Language.RU: f"{_OWN}; {_PROGRAMME_RU}",
        Language.KY: f"{_OWN}; {_PROGRAMME_KY}",
    },
    label="Feeling towards people from the other community (1-5)",
    title=N_("Attitude (1–5)"),
)
THERMOMETER = BankItem(
    code="thermometer",
    column="thermometer",
    family=Family.ATTITUDE,
    answer=Answer.SCALE,
    values=tuple(range(101)),
    value_labels={0: N_("very cold, unfavourable"), 100: N_("very warm, favourable")},
    wording=N_(
        "On a scale from 0 to 100, how warm or cold do you feel towards people from the "
        "other community?"
    ),
    sources={
        Language.EN: "Feeling thermometer, adapted from the ANES feeling thermometer "
        "(Converse & Presser 1986; used for intergroup attitudes since Haddock, Zanna & "
        "Esses 1993)",
        Language.RU: f"Adapted feeling thermometer; {_PROGRAMME_RU}",
        Language.KY: f"Adapted feeling thermometer; {_PROGRAMME_KY}",
    },
    label="Feeling thermometer towards the other community (0-100)",
    title=N_("Feeling thermometer (0–100)"),
)
SOCIAL_DISTANCE = BankItem(
    code="social_distance",
    column="social_distance",
    family=Family.ATTITUDE,
    answer=Answer.CHOICE,
    values=(1, 2, 3, 4, 5),
    value_labels={
        1: N_("as a close friend"),
        2: N_("as a neighbour"),
        3: N_("as a colleague at work"),
        4: N_("only as a visitor to my city"),
        5: N_("I would rather not have contact"),
    },
    wording=N_(
        "Which is the closest relationship you would willingly accept with someone from "
        "the other community?"
    ),
    sources={
        Language.EN: "Social distance, adapted from Bogardus (1925), cumulative form "
        "shortened to five steps",
        Language.RU: f"Adapted from Bogardus (1925); {_PROGRAMME_RU}",
        Language.KY: f"Adapted from Bogardus (1925); {_PROGRAMME_KY}",
    },
    label="Social distance to the other community (1 closest - 5 farthest)",
    title=N_("Social distance (1 closest – 5 farthest)"),
)
ANXIETY = BankItem(
    code="anxiety",
    column="anxiety",
    family=Family.ATTITUDE,
    answer=Answer.SCALE,
    values=(1, 2, 3, 4, 5),
    value_labels={1: N_("not at all"), 5: N_("very")},
    wording=N_(
        "How anxious or awkward would you feel talking with someone from the other community?"
    ),
    sources={
        Language.EN: "Intergroup anxiety, one item adapted from Stephan & Stephan (1985)",
        Language.RU: f"Adapted from Stephan & Stephan (1985); {_PROGRAMME_RU}",
        Language.KY: f"Adapted from Stephan & Stephan (1985); {_PROGRAMME_KY}",
    },
    label="Intergroup anxiety (1 not at all - 5 very)",
    title=N_("Intergroup anxiety (1–5)"),
)
MET_OUTSIDE = BankItem(
    code="met_outside",
    column="met_outside",
    family=Family.BEHAVIOUR,
    answer=Answer.YES_NO,
    values=(YES, NO),
    value_labels={YES: N_("Yes"), NO: N_("No")},
    wording=N_(
        "Since the event, have you met someone from the other community outside Birge events?"
    ),
    sources={
        Language.EN: f"{_OWN}: a behavioural follow-up question",
        Language.RU: f"{_OWN}; {_PROGRAMME_RU}",
        Language.KY: f"{_OWN}; {_PROGRAMME_KY}",
    },
    label="Met someone of the other community outside the events since (yes/no)",
    title=N_("Met someone outside the events"),
)
JOIN_AGAIN = BankItem(
    code="join_again",
    column="join_again",
    family=Family.BEHAVIOUR,
    answer=Answer.CHOICE,
    values=(1, 2, 3),
    value_labels={1: N_("Yes"), 2: N_("Maybe"), 3: N_("No")},
    wording=N_("Would you join a mixed event again?"),
    sources={
        Language.EN: f"{_OWN}: a behavioural intention question",
        Language.RU: f"{_OWN}; {_PROGRAMME_RU}",
        Language.KY: f"{_OWN}; {_PROGRAMME_KY}",
    },
    label="Would join a mixed event again (1 yes, 2 maybe, 3 no)",
    title=N_("Would join a mixed event again"),
)

BANK: tuple[BankItem, ...] = (
    ATTITUDE,
    THERMOMETER,
    SOCIAL_DISTANCE,
    ANXIETY,
    MET_OUTSIDE,
    JOIN_AGAIN,
)
BY_CODE: dict[str, BankItem] = {item.code: item for item in BANK}
ATTITUDE_ITEMS: tuple[BankItem, ...] = tuple(i for i in BANK if i.family is Family.ATTITUDE)
BEHAVIOUR_ITEMS: tuple[BankItem, ...] = tuple(i for i in BANK if i.family is Family.BEHAVIOUR)
#: What an event asks when its coordinator chose nothing.
DEFAULT_CHOICE: tuple[str, ...] = (ATTITUDE.code,)

PRE, POST, FOLLOWUP = "pre", "post", "followup"
#: The waves' short names in the console's reports (msgids).
WAVE_TITLES: dict[str, str] = {
    PRE: N_("before"),
    POST: N_("after"),
    FOLLOWUP: N_("follow-up"),
}
WAVES: tuple[str, ...] = (PRE, POST, FOLLOWUP)
#: The changes reported per attitude item, each over the people answering both waves.
PAIRED_WAVES: tuple[tuple[str, str], ...] = ((PRE, POST), (POST, FOLLOWUP), (PRE, FOLLOWUP))


class UnknownItemError(ValueError):
    """A code that is not an attitude item of the bank."""


def chosen(codes: Sequence[str] | None) -> tuple[BankItem, ...]:
    """An event's attitude items in bank order; the default when it chose none."""
    wanted = set(codes or DEFAULT_CHOICE)
    unknown = wanted - {item.code for item in ATTITUDE_ITEMS}
    if unknown:
        raise UnknownItemError(f"not attitude items of the bank: {sorted(unknown)}")
    return tuple(item for item in ATTITUDE_ITEMS if item.code in wanted)
