"""What the evaluator's dataset holds: its waves, its survey items and its event variables.

Every file of the dataset (the long and wide CSVs, the codebook, the SPSS and Stata files) is
built from these tables, so a new wave or a new item of the item bank is a row here, not a
change to the writers: an item names the `survey_response` column that holds its answer and
how a stored value is coded, its value labels, and its wording per language with the source
of each wording.

Codes are the same in every file: categorical variables are integers with value labels, and
the negative codes of `MISSING` stand for an answer that is not there.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from birge_shared import survey_items
from birge_shared.formats import activity_format
from birge_shared.i18n import gettext_for
from birge_shared.models import ActivityFormat, ActivityType, Community, Language
from birge_shared.sms.templates import DEFAULT_TEMPLATES


@dataclass(frozen=True)
class Wave:
    """One moment a survey is answered at; its code is the suffix of the wide file's columns."""

    code: str
    label: str


#: In the order they are answered: the wide file's columns and the respondent's community
#: (the community of the latest wave answered) follow it.
WAVES: tuple[Wave, ...] = (
    Wave("pre", "Before the event, right after accepting the invitation"),
    Wave("post", "After the event (attendees)"),
    Wave("followup", "Follow-up, SURVEY_FOLLOWUP_DAYS after the event (attendees)"),
)
WAVE_CODES = tuple(wave.code for wave in WAVES)


class Measure(enum.StrEnum):
    """SPSS's level of measurement, also shown in the codebook."""

    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    SCALE = "scale"


class Missing(enum.IntEnum):
    """Missing codes of the item variables: negative, so no scale can take them."""

    NOT_ANSWERED = -9  # the wave was answered, this item of it was not
    WAVE_NOT_ANSWERED = -8  # no answer in this wave at this event (wide file only)


MISSING_LABELS: dict[int, str] = {
    int(Missing.NOT_ANSWERED): "Not answered (the wave was answered, this item was not)",
    int(Missing.WAVE_NOT_ANSWERED): "Wave not answered at this event",
}


@dataclass(frozen=True)
class Wording:
    text: str
    source: str


DEFAULT_SOURCE = "Birge's own item: the default text of the survey question"
EDITED_SOURCE = "Birge's own item: the text as edited by an administrator"


def _default_wording(template: str) -> dict[Language, Wording]:
    return {
        language: Wording(text, DEFAULT_SOURCE)
        for language, text in DEFAULT_TEMPLATES[template].items()
    }


@dataclass(frozen=True)
class Item:
    """One survey item: where its answer is stored, how it is coded, and how it was asked."""

    code: str
    label: str
    measure: Measure
    value_labels: Mapping[int, str]
    #: The waves that ask it, by code; each is a column `<code>_<wave>` of the wide file.
    waves: tuple[str, ...]
    #: The `survey_response` column holding the answer.
    column: str
    wording: Mapping[Language, Wording]
    #: A stored value that is not already its code (a yes/no answer stored as a boolean).
    coding: Mapping[object, int] = field(default_factory=dict)
    #: The message template asking it, whose administrator's edit is the wording then used.
    template: str | None = None

    def code_of(self, stored: object) -> int:
        if stored is None:
            return int(Missing.NOT_ANSWERED)
        if self.coding:
            return self.coding[stored]
        assert isinstance(stored, int)
        return stored

    def variable(self, wave: str) -> str:
        return f"{self.code}_{wave}"


ITEMS: tuple[Item, ...] = (
    Item(
        code="attitude",
        label="Feeling towards people from the other community",
        measure=Measure.ORDINAL,
        value_labels={
            1: "1 Very negative",
            2: "2",
            3: "3",
            4: "4",
            5: "5 Very positive",
        },
        waves=("pre", "post", "followup"),
        column="attitude",
        wording=_default_wording("survey_question_attitude"),
        template="survey_question_attitude",
    ),
    Item(
        code="rating",
        label="Rating of the event",
        measure=Measure.ORDINAL,
        value_labels={1: "1 Poor", 2: "2", 3: "3", 4: "4", 5: "5 Excellent"},
        waves=("post",),
        column="rating",
        wording=_default_wording("survey_question_rating"),
        template="survey_question_rating",
    ),
    Item(
        code="cross_group_talk",
        label="Had a real conversation with someone from the other community",
        measure=Measure.NOMINAL,
        value_labels={1: "Yes", 0: "No"},
        waves=("post",),
        column="cross_group_talk",
        wording=_default_wording("survey_question_talk"),
        coding={True: 1, False: 0},
        template="survey_question_talk",
    ),
)


def _bank_wording(item: survey_items.BankItem) -> dict[Language, Wording]:
    return {
        language: Wording(gettext_for(language, item.wording), item.sources[language])
        for language in Language
    }


def _bank_labels(item: survey_items.BankItem) -> dict[int, str]:
    if item.stored_boolean:
        return {1: "Yes", 0: "No"}
    # A scale labels its two ends only; a choice labels every code.
    return {value: f"{value} {label}" for value, label in item.value_labels.items()}


#: The item bank's items beyond the attitude item (`birge_shared.survey_items`): the
#: attitude ones in every wave, the behavioural ones in the follow-up.
ITEMS += tuple(
    Item(
        code=item.code,
        label=item.label,
        measure=Measure.NOMINAL
        if item.stored_boolean
        else Measure.SCALE
        if len(item.values) > 11
        else Measure.ORDINAL,
        value_labels=_bank_labels(item),
        waves=survey_items.WAVES
        if item.family is survey_items.Family.ATTITUDE
        else (survey_items.FOLLOWUP,),
        column=item.column,
        wording=_bank_wording(item),
        coding={True: 1, False: 0} if item.stored_boolean else {},
    )
    for item in survey_items.BANK
    if item is not survey_items.ATTITUDE
)

#: The wide file's item columns, item by item, wave by wave.
WIDE_ITEM_COLUMNS: tuple[tuple[Item, str], ...] = tuple(
    (item, wave) for item in ITEMS for wave in WAVE_CODES if wave in item.waves
)


def items_of(wave: str) -> tuple[Item, ...]:
    return tuple(item for item in ITEMS if wave in item.waves)


# ------------------------------------------------------------------ event variables


@dataclass(frozen=True)
class EventFacts:
    """What the dataset says about one event: no venue, no coordinator, no free text."""

    id: str
    titles: Mapping[str, str]  # per language, as the coordinator wrote them
    city: str
    activity_type: ActivityType
    start_date: date  # local date


EventValue = str | int | date


@dataclass(frozen=True)
class EventVariable:
    name: str
    label: str
    measure: Measure
    read: Callable[[EventFacts], EventValue]
    value_labels: Mapping[int, str] = field(default_factory=dict)


#: Activity types numbered in the order they are declared; a new type takes the next number.
ACTIVITY_CODES: dict[ActivityType, int] = {
    activity: number for number, activity in enumerate(ActivityType, start=1)
}

#: Formats numbered in the order they are declared, like the activity types.
FORMAT_CODES: dict[ActivityFormat, int] = {
    kind: number for number, kind in enumerate(ActivityFormat, start=1)
}


def _title(language: Language) -> Callable[[EventFacts], EventValue]:
    return lambda facts: facts.titles.get(language.value, "")


EVENT_VARIABLES: tuple[EventVariable, ...] = (
    EventVariable("event_id", "Event id (Birge's)", Measure.NOMINAL, lambda facts: facts.id),
    *(
        EventVariable(
            f"title_{language.value}",
            f"Event title ({language.name.lower()}), empty when not given",
            Measure.NOMINAL,
            _title(language),
        )
        for language in Language
    ),
    EventVariable("city", "City (code)", Measure.NOMINAL, lambda facts: facts.city),
    EventVariable(
        "activity_type",
        "Activity type",
        Measure.NOMINAL,
        lambda facts: ACTIVITY_CODES[facts.activity_type],
        value_labels={code: activity.value for activity, code in ACTIVITY_CODES.items()},
    ),
    EventVariable(
        "activity_format",
        "Format of the activity type: how people are grouped inside it",
        Measure.NOMINAL,
        lambda facts: FORMAT_CODES[activity_format(facts.activity_type)],
        value_labels={code: kind.value for kind, code in FORMAT_CODES.items()},
    ),
    EventVariable(
        "event_date",
        "Local start date of the event",
        Measure.SCALE,
        lambda facts: facts.start_date,
    ),
)

# ------------------------------------------------------------------ respondent variables

#: The community a person answered as; 3 is a valid answer ("not declared"), not missing.
COMMUNITY_CODES: dict[Community | None, int] = {
    Community.HOST: 1,
    Community.MIGRANT: 2,
    None: 3,
}
COMMUNITY_LABELS: dict[int, str] = {
    1: "Host community",
    2: "Migrant",
    3: "Not declared",
}
RESPONDENT_LABEL = "Respondent number, re-drawn for every export"
COMMUNITY_LABEL = "Community the respondent answered as (at the latest wave of the event)"
